"""The template as written and as the SAM translator makes it, read once per module."""

from __future__ import annotations

from typing import Any

import pytest

from skin_analysis_local.template import load_template, sam_transform


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def translated(template: dict[str, Any]) -> dict[str, Any]:
    return sam_transform(template)
