"""Process-wide patches (of moto, here) that must be applied at most once, however many callers ask for them."""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


def once_per_process(patch: Callable[[], None]) -> Callable[[], None]:
    """`patch`, run by its first call only: a second application would wrap the patched methods again."""
    lock = threading.Lock()
    applied = False

    @functools.wraps(patch)
    def apply() -> None:
        nonlocal applied
        with lock:
            if not applied:
                patch()
                applied = True

    return apply
