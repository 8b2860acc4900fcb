"""Shared test configuration: every test is marked with its tier from the folder it lives in."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS_ROOT = Path(__file__).parent
PROJECT_ROOT = TESTS_ROOT.parent
TIERS = ("unit", "integration", "e2e", "bench")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the tier of its folder so `-m unit` and friends select by tier."""
    for item in items:
        relative = item.path.relative_to(TESTS_ROOT)
        tier = relative.parts[0]
        if tier in TIERS and tier != "bench":
            item.add_marker(getattr(pytest.mark, tier))
