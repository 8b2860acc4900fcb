"""Fault injection: faults wrap the request pipeline before and after the endpoint runs.

Each fault matches routes by name, fires a bounded number of times and can answer instead of the endpoint
(`before`) or change the endpoint's answer (`after`: the work is done, only the answer is lost or late). The
control API (`/_sim/faults`, next issue) will build these from JSON; tests can add them in process now.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from skin_analysis_local.simulator.wire import Response, api_error

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass
class Fault:
    """Base: which routes (empty: all API routes) and how many more times (None: until cleared)."""

    routes: frozenset[str] = frozenset()
    times: int | None = 1

    def matches(self, route: str) -> bool:
        """Whether this fault applies to `route` and has firings left."""
        return (not self.routes or route in self.routes) and (self.times is None or self.times > 0)

    def before(self) -> Response | None:
        """Answer instead of the endpoint, or None to let it run."""
        return None

    def after(self, response: Response) -> Response:
        """Change the endpoint's answer."""
        return response


@dataclass
class ServerErrors(Fault):
    """5xx bursts; with `after_processing` the endpoint runs first (a create still makes its task)."""

    status: int = 500
    after_processing: bool = False

    def before(self) -> Response | None:
        """Answer 5xx without running the endpoint."""
        return None if self.after_processing else api_error(self.status, "Internal server error")

    def after(self, response: Response) -> Response:
        """Replace the endpoint's answer with a 5xx."""
        return api_error(self.status, "Internal server error") if self.after_processing else response


@dataclass
class RateLimitStorm(Fault):
    """429s regardless of the real window."""

    def before(self) -> Response | None:
        """Answer 429 like the provider (no Retry-After)."""
        return api_error(429, "Too many requests")


@dataclass
class SlowResponse(Fault):
    """The endpoint runs, then the answer waits `seconds` (long enough and the client times out)."""

    seconds: float = 1.0

    def after(self, response: Response) -> Response:
        """Delay the answer."""
        response.delay = self.seconds
        return response


@dataclass
class DroppedResponse(Fault):
    """The endpoint runs, then the connection closes without an answer."""

    def after(self, response: Response) -> Response:
        """Drop the answer."""
        response.drop = True
        return response


@dataclass
class FaultInjector:
    """The active faults, consulted by the pipeline around every API endpoint."""

    faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault) -> None:
        """Activate a fault."""
        with self._lock:
            self.faults.append(fault)

    def clear(self) -> None:
        """Deactivate every fault."""
        with self._lock:
            self.faults.clear()

    def run(self, route: str, endpoint: Callable[[], Response]) -> Response:
        """Call `endpoint` with the matching faults wrapped around it."""
        with self._lock:
            active = [fault for fault in self.faults if fault.matches(route)]
            for fault in active:
                if fault.times is not None:
                    fault.times -= 1
        for fault in active:
            early = fault.before()
            if early is not None:
                return early
        response = endpoint()
        for fault in active:
            response = fault.after(response)
        return response
