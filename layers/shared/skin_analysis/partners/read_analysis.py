"""GET /v1/analyses/{id}: what a partner sees of its analysis, with short-lived URLs of the photo and masks.

An analysis whose photo never came stays AWAITING_UPLOAD in the table (nothing runs to fail it); once its upload
window is over it reads as FAILED `upload_missing` here and in listings, and expires with the TTL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from skin_analysis.errors import ErrorCode, describe_error
from skin_analysis.models import AnalysisStatus, utc_now
from skin_analysis.partners.ownership import owned_analysis

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_s3 import S3Client

    from skin_analysis.models import Analysis
    from skin_analysis.partners.identity import PartnerIdentity


@dataclass(frozen=True, slots=True)
class UploadWindow:
    """How long after its creation a partner analysis may still receive its photo."""

    ttl_seconds: int
    grace_seconds: int

    def expires_at(self, created_at: datetime) -> datetime:
        """When the upload form stops being accepted."""
        return created_at + timedelta(seconds=self.ttl_seconds)

    def missed(self, item: Analysis, now: datetime) -> bool:
        """Still AWAITING_UPLOAD after the form expired and the grace for an upload already on its way."""
        if item.status is not AnalysisStatus.AWAITING_UPLOAD or item.created_at is None:
            return False
        return now >= self.expires_at(item.created_at) + timedelta(seconds=self.grace_seconds)

    def missed_message(self, created_at: datetime) -> str:
        """The `error_message` of a missed upload, as the API shows it and the reconciler stores it."""
        return f"No photo was uploaded before {self.expires_at(created_at).isoformat()}."


@dataclass(frozen=True, slots=True)
class ErrorReading:
    """Why the analysis failed: the stored code, its message, and the fix from the error table."""

    code: str
    message: str
    fix: str


@dataclass(frozen=True, slots=True)
class StatusReading:
    """The status a partner sees and, for FAILED, why."""

    status: AnalysisStatus
    error: ErrorReading | None = None


@dataclass(frozen=True, slots=True)
class AnalysisReading:
    """Everything GET returns about one analysis."""

    item: Analysis
    status: StatusReading
    upload_expires_at: datetime | None = None
    normalized_photo_url: str | None = None
    mask_urls: dict[str, str] = field(default_factory=dict)
    urls_expire_at: datetime | None = None

    @property
    def scores(self) -> dict[str, Any]:
        """concern -> region -> {raw_score, ui_score}."""
        return dict(plain(self.item.scores) or {})

    @property
    def skin_type(self) -> dict[str, str]:
        """region -> skin type."""
        return dict(plain(self.item.skin_type) or {})


def plain(value: Any) -> Any:
    """pynamodb hands untyped maps back as MapAttribute objects; readers want plain dicts."""
    as_dict = getattr(value, "as_dict", None)
    return as_dict() if callable(as_dict) else value


def status_reading(item: Analysis, window: UploadWindow, now: datetime) -> StatusReading:
    """The status as the partner sees it: a missed upload is FAILED upload_missing."""
    if window.missed(item, now):
        missing = ErrorCode.UPLOAD_MISSING
        message = window.missed_message(item.created_at)
        return StatusReading(AnalysisStatus.FAILED, ErrorReading(missing.value, message, missing.fix))
    if item.status is AnalysisStatus.FAILED:
        code = item.error_code or "unknown"
        description = describe_error(code)
        message = item.error_message or description.meaning
        return StatusReading(item.status, ErrorReading(code, message, description.fix))
    return StatusReading(item.status)


class ReadPartnerAnalysis:
    """Reads one of the caller's analyses and signs GET URLs for its normalized photo and masks."""

    def __init__(
        self,
        s3: S3Client,
        results_bucket: str,
        window: UploadWindow,
        *,
        url_ttl_seconds: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._s3 = s3
        self._bucket = results_bucket
        self._window = window
        self._url_ttl = url_ttl_seconds
        self._clock = clock

    def __call__(self, partner: PartnerIdentity, analysis_id: str) -> AnalysisReading:
        """The caller's analysis; AnalysisNotVisible when it is not theirs or does not exist."""
        item = owned_analysis(analysis_id, partner.partner_id)
        now = self._clock()
        status = status_reading(item, self._window, now)
        awaiting = status.status is AnalysisStatus.AWAITING_UPLOAD
        mask_keys: dict[str, str] = dict(plain(item.mask_keys) or {})
        photo_url = self._sign(item.normalized_key) if item.normalized_key else None
        mask_urls = {name: self._sign(key) for name, key in sorted(mask_keys.items())}
        signed = photo_url is not None or bool(mask_urls)
        return AnalysisReading(
            item=item,
            status=status,
            upload_expires_at=self._window.expires_at(item.created_at) if awaiting and item.created_at else None,
            normalized_photo_url=photo_url,
            mask_urls=mask_urls,
            urls_expire_at=now + timedelta(seconds=self._url_ttl) if signed else None,
        )

    def _sign(self, key: str) -> str:
        return self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=self._url_ttl
        )
