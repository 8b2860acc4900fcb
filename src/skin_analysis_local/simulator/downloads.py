"""The result host: masks, resized images and ZIPs behind minted URLs that expire 2 h after their GET."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skin_analysis_local.simulator.results import RESIZED_IMAGE, ZIP_NAME, mask_image, zip_archive
from skin_analysis_local.simulator.wire import Response, s3_error

if TYPE_CHECKING:
    from skin_analysis_local.simulator.pipeline import Context

# Real S3 objects come back as binary/octet-stream, not image/png (contract §3.2).
_CONTENT_TYPE = {"Content-Type": "binary/octet-stream"}


def get_result(ctx: Context) -> Response:
    """GET /results/{token}/{name}: 403 once expired, 404 once the task is deleted."""
    state = ctx.state
    with state.lock:
        artifact = state.artifacts.get(ctx.params["token"])
        task = state.tasks.get(artifact.task_id) if artifact else None
        if artifact is None or task is None or task.deleted or artifact.name != ctx.params["name"]:
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        if state.clock.now() > artifact.expires_at:
            return s3_error(403, "AccessDenied", "Request has expired")
        nested = state.config.zip_skin_type_nested
    body = task.rendered.get(artifact.name)
    if body is None and artifact.name == ZIP_NAME:
        body = zip_archive(task, nested)
    elif body is None:
        body = mask_image(task, artifact.name, task.overlay and artifact.name != RESIZED_IMAGE)
    return Response(200, body, dict(_CONTENT_TYPE))
