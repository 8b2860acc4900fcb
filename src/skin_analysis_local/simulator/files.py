"""The File API (three paths, one behaviour) and the presigned upload host that checks the PUT's headers."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any

from skin_analysis_local.simulator.config import MAX_FILE_BYTES
from skin_analysis_local.simulator.state import FileRecord
from skin_analysis_local.simulator.wire import Response, invalid_parameters, json_response, s3_error

if TYPE_CHECKING:
    from skin_analysis_local.simulator.pipeline import Context

_REQUIRED = ("content_type", "file_name", "file_size")


def signature(token: str, expires: float) -> str:
    """A stand-in for X-Amz-Signature: opaque, stable per URL."""
    return hmac.new(b"simulator", f"{token}:{expires}".encode(), hashlib.sha256).hexdigest()


def _valid_item(item: Any) -> bool:
    if not isinstance(item, dict) or any(name not in item for name in _REQUIRED):
        return False
    size, content_type = item["file_size"], item["content_type"]
    return (
        isinstance(size, int)
        and not isinstance(size, bool)
        and 0 < size <= MAX_FILE_BYTES
        and isinstance(content_type, str)
        and content_type.startswith("image/")
        and isinstance(item["file_name"], str)
        and bool(item["file_name"])
    )


def create_files(ctx: Context) -> Response:
    """POST /s2s/v2.x/file[/skin-analysis]: hand out a file_id and a presigned PUT per file."""
    files = ctx.request.json_object().get("files")
    if not isinstance(files, list) or not files or not all(_valid_item(item) for item in files):
        return invalid_parameters()
    state = ctx.state
    ttl = state.config.upload_url_ttl
    out = []
    with state.lock:
        for item in files:
            record = FileRecord(
                file_id=state.new_file_id(),
                api_key=ctx.api_key,
                content_type=item["content_type"],
                file_name=item["file_name"],
                file_size=item["file_size"],
                upload_token=secrets.token_urlsafe(24),
                upload_expires_at=state.clock.now() + ttl,
            )
            state.files[record.file_id] = record
            state.uploads[record.upload_token] = record.file_id
            url = (
                f"{ctx.base_url}/upload/ttl30/{record.upload_token}"
                f"?X-Amz-Expires={int(ttl)}&X-Amz-Signature={signature(record.upload_token, ttl)}"
            )
            out.append(
                {
                    "content_type": record.content_type,
                    "file_name": record.file_name,
                    "file_id": record.file_id,
                    "requests": [
                        {
                            "method": "PUT",
                            "url": url,
                            "headers": {
                                "Content-Length": str(record.file_size),
                                "Content-Type": record.content_type,
                            },
                        }
                    ],
                }
            )
    return json_response(200, {"status": 200, "data": {"files": out}})


def put_upload(ctx: Context) -> Response:
    """PUT /upload/ttl30/{token}: S3's checks of a presigned PUT (signed headers, expiry)."""
    state = ctx.state
    headers = ctx.request.headers
    with state.lock:
        file_id = state.uploads.get(ctx.params["token"])
        record = state.files.get(file_id or "")
        if record is None or record.deleted:
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        if state.clock.now() > record.upload_expires_at:
            return s3_error(403, "AccessDenied", "Request has expired")
        body = ctx.request.body
        if (
            headers.get("content-type") != record.content_type
            or headers.get("content-length") != str(record.file_size)
            or len(body) != record.file_size
        ):
            return s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        record.data = body
        record.upload_headers = dict(headers)
    return Response(200, b"", {"ETag": f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'})
