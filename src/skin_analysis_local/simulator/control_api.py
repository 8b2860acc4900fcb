"""The `/_sim/` control API: reset, counters, clock, settings, faults, fixtures, webhooks and foreign tasks.

No auth, not counted, never faulted. Bodies are JSON objects (an empty body is `{}`); a bad request is
`400 {"status":400,"error":"<why>"}`. `SimulatorControl` (control.py) is the Python client.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from skin_analysis.provider.actions import ACTION_QUALITY
from skin_analysis_local.simulator import lifecycle
from skin_analysis_local.simulator.config import MAX_WEBHOOK_ENDPOINTS
from skin_analysis_local.simulator.faults import fault_as_json, fault_from_json
from skin_analysis_local.simulator.ratelimit import SlidingWindowLimiter
from skin_analysis_local.simulator.signing import check_webhook_url, decode_secret, generate_secret
from skin_analysis_local.simulator.state import WebhookEndpoint
from skin_analysis_local.simulator.tasks import start_foreign_task
from skin_analysis_local.simulator.wire import Response, api_error, json_response

if TYPE_CHECKING:
    from collections.abc import Callable

    from skin_analysis_local.simulator.pipeline import Context

_OUTCOME = re.compile(r"[a-z][a-z_]*")
# Fixed at start: they shape accounts, URLs and endpoints (webhooks and fixtures have their own routes).
_STARTUP_ONLY = frozenset(
    {"api_keys", "initial_units", "seed", "public_url", "webhook_urls", "webhook_secret", "fixtures"}
)
_BAD_REQUEST, _NOT_FOUND = 400, 404
_OK = {"status": 200}


def _control(handler: Callable[[Context], Response]) -> Callable[[Context], Response]:
    """Answer a ValueError (bad JSON included) as 400 with its message."""

    @functools.wraps(handler)
    def wrapped(ctx: Context) -> Response:
        try:
            return handler(ctx)
        except ValueError as error:
            return api_error(_BAD_REQUEST, str(error))

    return wrapped


def _options(ctx: Context) -> dict[str, Any]:
    """The body as a JSON object; an empty body is `{}`."""
    return ctx.request.json_object() if ctx.request.body.strip() else {}


def _number(options: dict[str, Any], name: str, default: float | None = None) -> float:
    value = options.get(name, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a number >= 0")
    return float(value)


@_control
def reset(ctx: Context) -> Response:
    """POST /_sim/reset: back to the startup settings, endpoints and secret; nothing else survives."""
    ctx.state.reset()
    return json_response(200, _OK)


@_control
def counters(ctx: Context) -> Response:
    """GET /_sim/counters: settle due tasks first so charges are current."""
    lifecycle.settle(ctx.state)
    with ctx.state.lock:
        return json_response(200, ctx.state.counters.as_json())


@_control
def get_clock(ctx: Context) -> Response:
    """GET /_sim/clock: simulated Unix time."""
    return json_response(200, {"now": ctx.state.clock.now()})


@_control
def advance_clock(ctx: Context) -> Response:
    """POST /_sim/clock {"advance": seconds}: move simulated time forward and settle what became due."""
    ctx.state.clock.advance(_number(_options(ctx), "advance"))
    lifecycle.settle(ctx.state)
    return json_response(200, {"now": ctx.state.clock.now()})


@_control
def get_config(ctx: Context) -> Response:
    """GET /_sim/config: the settings in force."""
    return json_response(200, ctx.state.config.as_values())


@_control
def patch_config(ctx: Context) -> Response:
    """PATCH /_sim/config {name: value, ...}: change settings until the next reset (e.g. `unpolled_window`)."""
    values = _options(ctx)
    fixed = sorted(set(values) & _STARTUP_ONLY)
    if fixed:
        raise ValueError(f"{', '.join(fixed)} cannot change after start (see /_sim/webhooks and /_sim/fixtures)")
    state = ctx.state
    with state.lock:
        updated = state.config.with_values(values)
        if (updated.rate_limit, updated.rate_window) != (state.config.rate_limit, state.config.rate_window):
            state.limiter = SlidingWindowLimiter(updated.rate_limit, updated.rate_window)
        state.config = updated
    return get_config(ctx)


@_control
def list_faults(ctx: Context) -> Response:
    """GET /_sim/faults: the faults with firings left."""
    return json_response(200, {"faults": [fault_as_json(f) for f in ctx.state.faults.active()]})


@_control
def add_fault(ctx: Context) -> Response:
    """POST /_sim/faults {"kind": ..., "times": n|null, "routes": [...], ...}: activate a fault."""
    fault = fault_from_json(_options(ctx))
    ctx.state.faults.add(fault)
    return json_response(200, {"status": 200, "fault": fault_as_json(fault)})


@_control
def clear_faults(ctx: Context) -> Response:
    """DELETE /_sim/faults: deactivate every fault."""
    ctx.state.faults.clear()
    return json_response(200, _OK)


@_control
def list_fixtures(ctx: Context) -> Response:
    """GET /_sim/fixtures: engine outcomes by image sha256 and by file_id."""
    with ctx.state.lock:
        return json_response(200, {"sha256": dict(ctx.state.fixtures), "file_id": dict(ctx.state.file_fixtures)})


@_control
def add_fixture(ctx: Context) -> Response:
    """POST /_sim/fixtures {"outcome": code, "sha256": hex | "file_id": id}: an engine outcome for one image."""
    options = _options(ctx)
    outcome = options.get("outcome")
    if not isinstance(outcome, str) or not _OUTCOME.fullmatch(outcome):
        raise ValueError("outcome must be an engine code such as error_no_face, or task_timeout")
    sha256, file_id = options.get("sha256"), options.get("file_id")
    if not isinstance(sha256, str) and not isinstance(file_id, str):
        raise ValueError("give sha256 (of the image bytes) or file_id")
    with ctx.state.lock:
        if isinstance(sha256, str):
            ctx.state.fixtures[sha256.lower()] = outcome
        if isinstance(file_id, str):
            ctx.state.file_fixtures[file_id] = outcome
    return list_fixtures(ctx)


@_control
def clear_fixtures(ctx: Context) -> Response:
    """DELETE /_sim/fixtures: forget every fixture, the configured ones included."""
    with ctx.state.lock:
        ctx.state.fixtures.clear()
        ctx.state.file_fixtures.clear()
    return json_response(200, _OK)


@_control
def get_webhooks(ctx: Context) -> Response:
    """GET /_sim/webhooks: endpoints (with their disabled flag), the signing secret and extra secrets."""
    with ctx.state.lock:
        return json_response(200, ctx.state.webhooks.as_json())


def _strings(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{what} must be a list of strings")
    return list(value)


def _secret(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("a secret is a whsec_ string")
    decode_secret(value)
    return value


@_control
def put_webhooks(ctx: Context) -> Response:
    """PUT /_sim/webhooks {"urls"?, "secret"?, "extra_secrets"?}: replace what is given; urls re-enable."""
    options = _options(ctx)
    state = ctx.state
    urls = _strings(options["urls"], "urls") if "urls" in options else None
    if urls is not None:
        if len(urls) > MAX_WEBHOOK_ENDPOINTS:
            raise ValueError(f"at most {MAX_WEBHOOK_ENDPOINTS} endpoints per account")
        for url in urls:
            check_webhook_url(url, state.config.webhook_require_https)
    secret = _secret(options["secret"]) if "secret" in options else None
    extra = (
        [_secret(s) for s in _strings(options["extra_secrets"], "extra_secrets")]
        if "extra_secrets" in options
        else None
    )
    with state.lock:
        if urls is not None:
            state.webhooks.endpoints = [WebhookEndpoint(url) for url in dict.fromkeys(urls)]
        if secret is not None:
            state.webhooks.secret = secret
        if extra is not None:
            state.webhooks.extra_secrets = extra
    return get_webhooks(ctx)


@_control
def rotate_webhook_secret(ctx: Context) -> Response:
    """POST /_sim/webhooks/rotate {"secret"?, "sign_with_old"?}: a new signing secret (generated if not given).

    With `sign_with_old` the old secret keeps signing too (two `v1,` entries) until the next rotation or PUT.
    """
    options = _options(ctx)
    state = ctx.state
    given = options.get("secret")
    secret = generate_secret(unpadded=state.config.webhook_secret_unpadded) if given is None else _secret(given)
    with state.lock:
        old = state.webhooks.secret
        state.webhooks.secret = secret
        state.webhooks.extra_secrets = [old] if options.get("sign_with_old") is True else []
    return get_webhooks(ctx)


@_control
def run_foreign_task(ctx: Context) -> Response:
    """POST /_sim/tasks {"api_key"?, "error"?, "delay"?, "dst_actions"?}: a task made by another key.

    It runs like any task (charged to that key on success) and notifies every webhook endpoint.
    """
    options = _options(ctx)
    api_key = options.get("api_key", "sk-sim-foreign")
    error = options.get("error")
    actions = options.get("dst_actions", ["wrinkle"])
    if not isinstance(api_key, str) or not api_key:
        raise ValueError("api_key must be a non-empty string")
    if error is not None and (not isinstance(error, str) or not _OUTCOME.fullmatch(error)):
        raise ValueError("error must be an engine code such as error_no_face, or null for success")
    if (
        not isinstance(actions, list)
        or not actions
        or not all(action in ACTION_QUALITY for action in actions)
        or len({ACTION_QUALITY[action] for action in actions}) > 1
    ):
        raise ValueError("dst_actions must be known actions of one quality")
    task = start_foreign_task(
        ctx.state,
        api_key=api_key,
        error=error,
        delay=_number(options, "delay", 0.0),
        actions=tuple(dict.fromkeys(actions)),
    )
    return json_response(200, {"status": 200, "data": {"task_id": task.task_id}})


@_control
def expire_task(ctx: Context) -> Response:
    """POST /_sim/tasks/{task_id}/expire: as if left unpolled past the window (Invalid task ID; still charged)."""
    state = ctx.state
    with state.lock:
        task = state.tasks.get(ctx.params["task_id"])
        if task is None:
            return api_error(_NOT_FOUND, "unknown task")
        task.expired = True
    return json_response(200, _OK)


@_control
def expire_results(ctx: Context) -> Response:
    """POST /_sim/results/expire {"task_id"?}: every minted result URL (of one task) answers 403 from now."""
    task_id = _options(ctx).get("task_id")
    state = ctx.state
    with state.lock:
        now = state.clock.now()
        chosen = [a for a in state.artifacts.values() if task_id is None or a.task_id == task_id]
        for artifact in chosen:
            artifact.expires_at = min(artifact.expires_at, now - 1)
    return json_response(200, {"status": 200, "expired": len(chosen)})
