"""Copies the provider's masks into the results bucket before their URLs expire (2 h), several at a time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

    from botocore.model import OperationModel
    from mypy_boto3_s3 import S3Client

    from skin_analysis.finalize.result import MaskSource

#: Downloads are not rate-limited by the provider: a result's masks (15 for the full SD set) all go at once, so
#: copying takes one round trip of each, not two. The S3 client's pool must hold as many connections.
DEFAULT_COPY_WORKERS: Final = 16

_PNG: Final = b"\x89PNG\r\n\x1a\n"
_JPEG: Final = b"\xff\xd8\xff"
_CONTENT_TYPES: Final = {"png": "image/png", "jpg": "image/jpeg"}


_SEND_AT_ONCE: Final = "skin-analysis-put-object-without-100-continue"


def _send_mask_at_once(params: dict[str, Any], model: OperationModel, **_: Any) -> None:
    """Drop `Expect: 100-continue` from PutObject: botocore asks for it on every body, which costs each mask a
    round trip before its bytes leave, to spare sending a few dozen kilobytes the bucket might refuse."""
    if model.name == "PutObject":
        params["headers"].pop("Expect", None)


def mask_prefix(analysis_id: str) -> str:
    """`analyses/<analysis_id>/masks/`: where an analysis's masks live in the results bucket."""
    return f"analyses/{analysis_id}/masks/"


def mask_extension(data: bytes, name: str) -> str:
    """`png` or `jpg`: what the bytes are, else what the provider's name ends with (masks are PNG by default)."""
    if data.startswith(_PNG):
        return "png"
    if data.startswith(_JPEG):
        return "jpg"
    return "jpg" if name.lower().endswith((".jpg", ".jpeg")) else "png"


class MaskCopier:
    """Fetches masks from the provider and puts them under `analyses/<id>/masks/` in the results bucket."""

    def __init__(self, s3: S3Client, bucket: str, *, workers: int = DEFAULT_COPY_WORKERS) -> None:
        self._s3 = s3
        self._bucket = bucket
        # One pool for the life of the execution environment: starting a result's worth of threads on every
        # invoke cost more than a copy round trip (each start waits for its thread to get the GIL).
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mask-copy")
        s3.meta.events.register_last("before-call.s3", _send_mask_at_once, unique_id=_SEND_AT_ONCE)

    def copy(self, analysis_id: str, masks: Mapping[str, MaskSource]) -> dict[str, str]:
        """Copy every mask (in parallel) and return mask name -> object key; the first failure is raised.

        Returns only once every copy has ended, failed ones included: nothing of this invoke runs on after it.
        """
        if not masks:
            return {}
        names = sorted(masks)
        copies = [self._pool.submit(self._copy_one, analysis_id, name, masks[name]) for name in names]
        wait(copies)
        return {name: future.result() for name, future in zip(names, copies, strict=True)}

    def _copy_one(self, analysis_id: str, name: str, source: MaskSource) -> str:
        data = source.fetch()
        extension = mask_extension(data, source.name)
        key = f"{mask_prefix(analysis_id)}{name}.{extension}"
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=_CONTENT_TYPES[extension])
        return key
