"""The presigned POST a partner uploads its photo with: one fixed key, the options as metadata, a size cap.

A presigned PUT cannot cap the size; a POST policy's `content-length-range` makes S3 itself refuse an oversized
photo. The options travel as `x-amz-meta-skin-quality` / `x-amz-meta-skin-actions`, the metadata ingest reads
for any upload, so a partner photo goes through exactly the same ingest path as a dropped one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from skin_analysis.ingest.keys import PARTNER_PREFIX
from skin_analysis.ingest.options import ACTIONS_METADATA, QUALITY_METADATA

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from skin_analysis.ingest.options import AnalysisOptions

#: Content types a partner may declare, and the extension its object key gets (ingest sniffs the bytes anyway).
PHOTO_EXTENSIONS: Final = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
}
_METADATA_PREFIX: Final = "x-amz-meta-"


@dataclass(frozen=True, slots=True)
class UploadForm:
    """Where and how to POST the photo: the form fields go first, the file last, as field `file`."""

    url: str
    fields: dict[str, str]
    expires_at: datetime
    key: str


def partner_upload_key(partner_id: str, analysis_id: str, content_type: str) -> str:
    """`partners/<partner_id>/<analysis_id>.<ext>`: the key ingest maps back to the analysis."""
    return f"{PARTNER_PREFIX}{partner_id}/{analysis_id}.{PHOTO_EXTENSIONS[content_type]}"


class UploadForms:
    """Signs upload forms for the uploads bucket with the function's own credentials."""

    def __init__(self, s3: S3Client, bucket: str, *, ttl_seconds: int, max_bytes: int) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._ttl_seconds = ttl_seconds
        self._max_bytes = max_bytes

    @property
    def bucket(self) -> str:
        """The uploads bucket."""
        return self._bucket

    def expiry_after(self, created_at: datetime) -> datetime:
        """When a form signed at `created_at` stops being accepted."""
        return created_at + timedelta(seconds=self._ttl_seconds)

    def sign(self, key: str, content_type: str, options: AnalysisOptions, *, now: datetime) -> UploadForm:
        """A form for exactly `key`, exactly these options and content type, 1 byte to `max_bytes`."""
        fields = {
            "Content-Type": content_type,
            _METADATA_PREFIX + QUALITY_METADATA: options.quality.value,
            _METADATA_PREFIX + ACTIONS_METADATA: ",".join(options.dst_actions),
        }
        conditions: list[Any] = [{name: value} for name, value in fields.items()]
        conditions.append(["content-length-range", 1, self._max_bytes])
        signed = self._s3.generate_presigned_post(
            Bucket=self._bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=self._ttl_seconds
        )
        return UploadForm(
            url=signed["url"],
            fields={str(name): str(value) for name, value in signed["fields"].items()},
            expires_at=self.expiry_after(now),
            key=key,
        )
