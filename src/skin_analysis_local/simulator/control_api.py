"""The `/_sim/` control API: reset and counters now; faults, clock, fixtures and webhooks arrive next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skin_analysis_local.simulator import lifecycle
from skin_analysis_local.simulator.wire import Response, json_response

if TYPE_CHECKING:
    from skin_analysis_local.simulator.pipeline import Context


def reset(ctx: Context) -> Response:
    """POST /_sim/reset: forget everything, refill the accounts."""
    ctx.state.reset()
    return json_response(200, {"status": 200})


def counters(ctx: Context) -> Response:
    """GET /_sim/counters: settle due tasks first so charges are current."""
    lifecycle.settle(ctx.state)
    with ctx.state.lock:
        return json_response(200, ctx.state.counters.as_json())
