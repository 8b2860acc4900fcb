"""Heavy imports kept off the cold starts that never use them (tests/bench/bench_cold_import.py measures them)."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest

from skin_analysis.lazy import lazy_attributes

# Each handler-facing package, and the heavy modules its import must not load.
_KEPT_OFF = {
    "skin_analysis.partners": ("PIL", "requests"),  # the partner API: options and keys, no decoding
    "skin_analysis.ingest": ("requests",),  # ingest: the provider's catalogue, not its HTTP client
    "skin_analysis.failures": ("requests",),  # Record Failure: provider errors only
}


def test_a_lazy_attribute_loads_its_module_on_first_read_and_only_for_its_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    package = types.ModuleType("lazy_test_package")
    monkeypatch.setitem(sys.modules, package.__name__, package)
    package.__getattr__ = lazy_attributes(package.__name__, "json", frozenset({"dumps"}))  # type: ignore[method-assign]

    assert package.dumps is json.dumps
    assert vars(package)["dumps"] is json.dumps  # cached: later reads are plain attribute reads
    with pytest.raises(AttributeError, match="loads"):
        _ = package.loads


@pytest.mark.parametrize("package", sorted(_KEPT_OFF))
def test_importing_the_package_leaves_its_heavy_modules_unloaded(package: str) -> None:
    # Given a fresh interpreter, when it imports the package, then none of the heavy modules is loaded
    check = f"import sys, {package}; print([m for m in {_KEPT_OFF[package]!r} if m in sys.modules])"
    completed = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
