"""Helpers shared by every tier: waiting on an SLA and finding free ports."""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")


class WaitTimedOut(AssertionError):
    """The predicate did not hold within its SLA."""


def wait_until[T](predicate: Callable[[], T | None], timeout: float, interval: float = 0.05, what: str = "") -> T:
    """Poll `predicate` until it returns something truthy and return it; the timeout is the SLA under test."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise WaitTimedOut(f"not within {timeout}s: {what or predicate!r} (last value {last!r})")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
