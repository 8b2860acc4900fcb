"""Package attributes whose module loads on first use (PEP 562), to keep heavy imports off cold starts."""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


def lazy_attributes(package: str, module: str, names: frozenset[str]) -> Callable[[str], object]:
    """A module-level `__getattr__` for `package` that imports `module` when one of `names` is first read."""

    def __getattr__(name: str) -> object:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later reads skip this function
        return value

    return __getattr__
