"""Routing and the request pipeline every request goes through.

API routes: x-request-id → count the call → faults wrap { auth → rate limit → endpoint }. Storage routes (the
presigned upload and result hosts) and control routes (`/_sim/`) skip auth, rate limiting and faults, as the
provider does not count uploads and downloads.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from skin_analysis_local.simulator import auth
from skin_analysis_local.simulator.wire import BadJson, Response, api_error, invalid_parameters, s3_error

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from skin_analysis_local.simulator.state import SimulatorState
    from skin_analysis_local.simulator.wire import Request


class RouteKind(StrEnum):
    """Which pipeline stages a route goes through."""

    API = "api"
    STORAGE = "storage"
    CONTROL = "control"


@dataclass
class Context:
    """What an endpoint gets: the request, the state, the path's groups and the authenticated key."""

    request: Request
    state: SimulatorState
    params: dict[str, str]
    api_key: str
    base_url: str
    submit: Callable[[Callable[[], None]], None]


@dataclass(frozen=True)
class Route:
    """One endpoint: method, path regex (named groups become `params`), counter name and kind."""

    method: str
    pattern: re.Pattern[str]
    name: str
    endpoint: Callable[[Context], Response]
    kind: RouteKind = RouteKind.API


def route(
    method: str, path: str, name: str, endpoint: Callable[[Context], Response], kind: RouteKind = RouteKind.API
) -> Route:
    """Build a route from a path template: `{name}` matches one segment, `{name:regex}` matches the regex."""
    parts = re.split(r"(\{\w+(?::[^}]+)?\})", path)
    regex = "".join(_placeholder(part) if part.startswith("{") else re.escape(part) for part in parts if part)
    return Route(method, re.compile(f"^{regex}$"), name, endpoint, kind)


def _placeholder(part: str) -> str:
    name, _, pattern = part[1:-1].partition(":")
    return f"(?P<{name}>{pattern or '[^/]+'})"


class Pipeline:
    """Dispatches requests to routes through the stages of their kind."""

    def __init__(
        self,
        state: SimulatorState,
        routes: Sequence[Route],
        base_url: Callable[[], str],
        submit: Callable[[Callable[[], None]], None],
    ) -> None:
        self._state = state
        self._routes = routes
        self._base_url = base_url
        self._submit = submit

    def handle(self, request: Request) -> Response:
        """Answer one request; every answer carries an x-request-id."""
        response = self._dispatch(request)
        response.headers["x-request-id"] = self._state.next_request_id()
        return response

    def _dispatch(self, request: Request) -> Response:
        found = self._resolve(request)
        if found is None:
            return api_error(404, "Not Found")
        chosen, params = found
        key = auth.bearer_key(request.headers.get("authorization"))
        ctx = Context(request, self._state, params, key or "", self._base_url(), self._submit)
        if chosen.kind is not RouteKind.API:
            return _guarded(chosen, ctx)
        with self._state.lock:
            self._state.counters.calls[chosen.name][key or "-"] += 1
            self._state.counters.call_times.append(time.time())
            self._state.counters.call_routes.append(chosen.name)
        return self._state.faults.run(chosen.name, lambda: self._api(chosen, ctx, key))

    def _api(self, chosen: Route, ctx: Context, key: str | None) -> Response:
        state = self._state
        denied = auth.check(state.config, key)
        if denied is not None:
            return denied
        admitted = state.limiter.admit(
            state.clock.now(),
            key=ctx.api_key,
            ip=ctx.request.client_ip,
            count_rejected=state.config.rate_limit_counts_rejected,
        )
        if not admitted:
            with state.lock:
                state.counters.rate_limited[chosen.name] += 1
            return api_error(429, "Too many requests")
        return _guarded(chosen, ctx)

    def _resolve(self, request: Request) -> tuple[Route, dict[str, str]] | None:
        for candidate in self._routes:
            match = candidate.pattern.match(request.path)
            if match is not None and candidate.method == request.method:
                return candidate, match.groupdict()
        return None


def _guarded(chosen: Route, ctx: Context) -> Response:
    """Run the endpoint; a body that is not the JSON it needs is the provider's 400 InvalidParameters."""
    try:
        return chosen.endpoint(ctx)
    except BadJson:
        if chosen.kind is RouteKind.STORAGE:
            return s3_error(400, "MalformedXML", "The request body is malformed.")
        return invalid_parameters()
