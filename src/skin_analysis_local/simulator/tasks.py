"""Create-task, status GET and delete, checked in the contract's order (§12)."""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
from functools import partial
from typing import TYPE_CHECKING, Any

from PIL import Image

from skin_analysis.provider.actions import ACTION_QUALITY, unit_cost
from skin_analysis_local.simulator import lifecycle
from skin_analysis_local.simulator.config import RESULT_URL_TTL, MissingUploadMode
from skin_analysis_local.simulator.engine import TASK_TIMEOUT, ImageInfo, Outcome
from skin_analysis_local.simulator.faults import WebhookBeforeResponse
from skin_analysis_local.simulator.files import signature
from skin_analysis_local.simulator.results import ZIP_NAME, json_output
from skin_analysis_local.simulator.state import Artifact, TaskPhase, TaskRecord
from skin_analysis_local.simulator.wire import Response, api_error, invalid_parameters, json_response

if TYPE_CHECKING:
    from skin_analysis_local.simulator.pipeline import Context
    from skin_analysis_local.simulator.state import SimulatorState

logger = logging.getLogger(__name__)

_KNOWN_KEYS = frozenset({"src_file_id", "src_file_url", "dst_actions", "miniserver_args", "format"})
_FORMATS = ("json", "zip")
_BAD_REQUEST, _SERVER_ERROR = 400, 500
_INVALID_TASK_ID = "Invalid task ID"


def _check_body(ctx: Context, body: dict[str, Any]) -> Response | None:
    """Request-level errors of a create, in the contract's order; None when the body is acceptable."""
    if ctx.state.config.strict_params:
        allowed = _KNOWN_KEYS | ({"pf_camera_kit"} if ctx.params["version"] == "2.1" else set())
        unexpected = sorted(set(body) - allowed)
        if unexpected:
            return api_error(_BAD_REQUEST, f"unexpected request parameter {unexpected[0]}", "BadRequest")
    if not isinstance(body.get("src_file_id") or body.get("src_file_url"), str):
        return invalid_parameters()
    rejected = _check_actions(body.get("dst_actions"))
    if rejected is None and body.get("format", "zip") not in _FORMATS:
        rejected = invalid_parameters()
    return rejected


def _check_actions(actions: object) -> Response | None:
    if not isinstance(actions, list) or not actions or not all(isinstance(a, str) for a in actions):
        return invalid_parameters()
    for action in actions:
        if action not in ACTION_QUALITY:
            return invalid_parameters(f"Not available dst_action {action}")
    if len({ACTION_QUALITY[a] for a in actions}) > 1:
        return invalid_parameters("cannot mix HD and SD dst_actions")
    return None


def create_task(ctx: Context) -> Response:
    """POST /s2s/v2.{0,1}/task/skin-analysis: every create makes a new task (no idempotency)."""
    body = ctx.request.json_object()
    rejected = _check_body(ctx, body)
    if rejected is not None:
        return rejected
    state = ctx.state
    actions = tuple(dict.fromkeys(body["dst_actions"]))
    quality = ACTION_QUALITY[actions[0]]
    if state.balance(ctx.api_key) < unit_cost(quality, len(actions)):
        return api_error(_BAD_REQUEST, "Insufficient credit to run this task", "CreditInsufficiency")
    src_file_url = body.get("src_file_url") if "src_file_id" not in body else None
    with state.lock:
        source, name = None, str(src_file_url or "")
        if src_file_url is None:
            record = state.files.get(body["src_file_id"])
            if record is None or record.deleted or record.api_key != ctx.api_key:
                return invalid_parameters()
            if record.data is None and state.config.missing_upload is MissingUploadMode.CREATE_500:
                return api_error(_SERVER_ERROR, "Internal server error", "unknown_internal_error")
            source, name = record.data, record.file_name
        now = state.clock.now()
        args = body.get("miniserver_args")
        task = TaskRecord(
            task_id=state.new_task_id(),
            api_key=ctx.api_key,
            version=ctx.params["version"],
            quality=quality,
            actions=actions,
            result_format=body.get("format", "zip"),
            overlay=bool(isinstance(args, dict) and args.get("enable_mask_overlay")),
            created_at=now,
            due_at=now + _delay(ctx),
            source_name=name,
            source=source,
            file_id=body.get("src_file_id"),
            last_polled_at=now,
            webhook_inline=state.faults.take(WebhookBeforeResponse) is not None,
        )
        if task.webhook_inline:
            task.due_at = now
        state.tasks[task.task_id] = task
    if source is not None:
        digest = hashlib.sha256(source).hexdigest()
        with state.lock:
            state.counters.tasks_by_source[digest] += 1
    if task.webhook_inline:
        _finish_inline(state, task, src_file_url)
    else:
        ctx.submit(partial(lifecycle.process, state, task.task_id, src_file_url))
    return json_response(200, {"status": 200, "data": {"task_id": task.task_id}})


def _finish_inline(state: SimulatorState, task: TaskRecord, src_file_url: str | None) -> None:
    """The webhook-before-response fault: judge and finish now, so the webhook goes out before the answer."""
    try:
        lifecycle.process(state, task.task_id, src_file_url)
        lifecycle.settle(state, task)
    finally:
        task.webhook_inline = False


def start_foreign_task(
    state: SimulatorState,
    *,
    api_key: str,
    error: str | None = None,
    delay: float = 0.0,
    actions: tuple[str, ...] = ("wrinkle",),
) -> TaskRecord:
    """A task made by another key of the account (no API call): it runs, is charged and notifies webhooks."""
    quality = ACTION_QUALITY[actions[0]]
    with state.lock:
        now = state.clock.now()
        task = TaskRecord(
            task_id=state.new_task_id(),
            api_key=api_key,
            version="2.1",
            quality=quality,
            actions=actions,
            result_format="json",
            overlay=False,
            created_at=now,
            due_at=now + delay,
            source_name="foreign",
            source=_plain_photo(quality.min_short_side),
            last_polled_at=now,
        )
        image = ImageInfo(hashlib.sha256(task.task_id.encode()).hexdigest(), *_photo_size(quality.min_short_side))
        task.outcome = Outcome(error=error, image=image, task_timeout=error == TASK_TIMEOUT)
        task.outcome_at = now
        state.tasks[task.task_id] = task
    return task


def _photo_size(short_side: int) -> tuple[int, int]:
    return short_side, short_side * 4 // 3


def _plain_photo(short_side: int) -> bytes:
    """A plain JPEG big enough for the quality, standing in for a foreign task's photo."""
    out = io.BytesIO()
    Image.new("RGB", _photo_size(short_side), (180, 140, 120)).save(out, "JPEG", quality=70)
    return out.getvalue()


def _delay(ctx: Context) -> float:
    config = ctx.state.config
    if config.delay <= 0:
        return 0.0
    return max(0.0, config.delay + ctx.state.rng.uniform(-config.delay_jitter, config.delay_jitter))


def get_status(ctx: Context) -> Response:
    """GET /s2s/v2.{0,1}/task/skin-analysis/{task_id}."""
    state = ctx.state
    task = state.tasks.get(ctx.params["task_id"])
    if task is None:
        return api_error(_BAD_REQUEST, _INVALID_TASK_ID)
    lifecycle.settle(state, task)
    with state.lock:
        if not lifecycle.queryable(state, task, ctx.api_key):
            return api_error(_BAD_REQUEST, _INVALID_TASK_ID)
        if task.version != ctx.params["version"]:
            if state.config.strict_version_paths:
                return api_error(_BAD_REQUEST, _INVALID_TASK_ID)
            logger.warning("task %s created on v%s polled on v%s", task.task_id, task.version, ctx.params["version"])
        task.last_polled_at = state.clock.now()
        return _status_body(ctx, task)


def _status_body(ctx: Context, task: TaskRecord) -> Response:
    config = ctx.state.config
    data: dict[str, Any]
    match task.phase:
        case TaskPhase.RUNNING:
            data = {"error": None, "results": None, "task_status": "running"}
            if config.polling_interval_ms is not None:
                data["polling_interval"] = config.polling_interval_ms
        case TaskPhase.TIMED_OUT:
            return api_error(_SERVER_ERROR, "Task execution timed out")
        case TaskPhase.ERROR:
            error = task.outcome.error if task.outcome else "unknown_internal_error"
            data = {"error": error, "task_status": "error", "results": None}
            if not config.omit_error_message:
                data["error_message"] = f"Simulated engine error {error}"
        case TaskPhase.SUCCESS:
            data = {"error": None, "task_status": "success", "results": _results(ctx, task)}
    return json_response(200, {"status": 200, "data": data})


def _results(ctx: Context, task: TaskRecord) -> object:
    """Fresh URLs on every GET, each valid 2 h from now."""
    url_for = partial(mint_url, ctx, task)
    if task.result_format == "zip":
        url = url_for(ZIP_NAME)
        return url if ctx.state.config.zip_results_bare_string else {"url": url}
    return {"output": json_output(task, task.image.sha256, url_for)}


def mint_url(ctx: Context, task: TaskRecord, name: str) -> str:
    """A signed-looking result URL for one member of a task, expiring 2 h from now."""
    token = secrets.token_urlsafe(18)
    ctx.state.artifacts[token] = Artifact(task.task_id, name, ctx.state.clock.now() + RESULT_URL_TTL)
    ttl = int(RESULT_URL_TTL)
    return f"{ctx.base_url}/results/{token}/{name}?X-Amz-Expires={ttl}&X-Amz-Signature={signature(token, ttl)}"


def delete_task(ctx: Context) -> Response:
    """POST /s2s/v2.0/task/delete: finished tasks only; their files and result URLs then answer 404."""
    task_id = ctx.request.json_object().get("task_id")
    if not isinstance(task_id, str) or not task_id:
        return api_error(_BAD_REQUEST, "task_id is required", "InvalidParameters")
    state = ctx.state
    task = state.tasks.get(task_id)
    if task is None or task.api_key != ctx.api_key or task.deleted:
        return api_error(_BAD_REQUEST, _INVALID_TASK_ID, "InvalidTaskId")
    lifecycle.settle(state, task)
    with state.lock:
        if task.phase is TaskPhase.RUNNING:
            return api_error(_BAD_REQUEST, "The task has not finished yet", "OperationInvalid")
        task.deleted = True
        if task.file_id is not None and task.file_id in state.files:
            state.files[task.file_id].deleted = True
    return json_response(200, {"status": 200})
