"""Every upload becomes exactly one analysis, or one clear failure (DESIGN §2, ingest).

The same object version delivered any number of times, concurrently or hours apart, yields one item and one
execution: the item is created with a condition, the execution is named by the idempotency key, and every
path that finds the item already there only makes sure its execution was started.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from skin_analysis.errors import ErrorCode
from skin_analysis.imaging import ImageRejected, NormalizedImage, Step, normalize_image
from skin_analysis.ingest.keys import PARTNER_PREFIX, ObjectIdentity, parse_partner_key
from skin_analysis.ingest.options import AnalysisOptions, InvalidOptions, resolve_options
from skin_analysis.models import (
    Analysis,
    AnalysisAlreadyExists,
    AnalysisStatus,
    IllegalTransition,
    create_analysis,
    transition,
)
from skin_analysis.record_failure import record_failure

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient

    from skin_analysis.events import EventPublisher
    from skin_analysis.settings import IngestSettings


class IngestOutcome(StrEnum):
    """What happened to one S3 record."""

    STARTED = "started"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class IngestResult:
    """The outcome for one object, with what metrics and logs need (never the image bytes)."""

    outcome: IngestOutcome
    analysis_id: str | None = None
    error_code: str | None = None
    bytes_in: int = 0
    bytes_out: int = 0
    steps: tuple[Step, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class _Rejection(Exception):
    code: str
    message: str


class IngestUpload:
    """Turns one uploaded object into a started analysis or a recorded failure."""

    def __init__(self, settings: IngestSettings, s3: S3Client, sfn: SFNClient, publisher: EventPublisher) -> None:
        self._settings = settings
        self._s3 = s3
        self._sfn = sfn
        self._publisher = publisher

    def __call__(self, bucket: str, key: str) -> IngestResult:
        """Ingest `s3://bucket/key` (the key already unquoted)."""
        head = self._head(bucket, key)
        if head is None:
            return IngestResult(IngestOutcome.GONE)
        version = head.get("VersionId") or head["ETag"].strip('"')
        identity = ObjectIdentity(bucket, key, version)
        partner = parse_partner_key(key)
        if key.startswith(PARTNER_PREFIX) and partner is None:
            return self._refuse_unknown_partner_key(identity)
        analysis_id = partner.analysis_id if partner else identity.idempotency_key
        existing = _find(analysis_id)
        if partner is not None and (existing is None or existing.partner_id != partner.partner_id):
            return self._refuse_unknown_partner_key(identity)
        if existing is not None and not _still_needs_its_photo(existing):
            return self._ensure_started(existing)
        if existing is None:
            self._create(identity, analysis_id)
        return self._analyse(identity, analysis_id, head, partner is not None)

    def _analyse(self, identity: ObjectIdentity, analysis_id: str, head: dict[str, Any], partner: bool) -> IngestResult:
        """Validate options and size, normalize, store the photo, then queue the analysis and start it."""
        try:
            options = resolve_options(
                head.get("Metadata", {}), self._settings.default_quality, self._settings.default_actions
            )
            self._check_size(head["ContentLength"])
            data = self._s3.get_object(Bucket=identity.bucket, Key=identity.key)["Body"].read()
            normalized = self._normalize(data, options)
        except _Rejection as rejected:
            return self._fail(analysis_id, rejected.code, rejected.message)
        except InvalidOptions as exc:
            return self._fail(analysis_id, ErrorCode.INVALID_OPTIONS, str(exc))
        normalized_key = f"analyses/{analysis_id}/normalized.jpg"
        self._s3.put_object(
            Bucket=self._settings.results_bucket, Key=normalized_key, Body=normalized.data, ContentType="image/jpeg"
        )
        received = self._mark_received(analysis_id, identity, options, normalized_key, partner)
        if received is None:
            return IngestResult(IngestOutcome.DUPLICATE, analysis_id)
        started = self._ensure_started(received)
        return IngestResult(started.outcome, analysis_id, None, len(data), len(normalized.data), normalized.steps)

    def _head(self, bucket: str, key: str) -> dict[str, Any] | None:
        try:
            return dict(self._s3.head_object(Bucket=bucket, Key=key))
        except ClientError as exc:
            # Deleted (or erased) before we got to it: nothing to analyse, nothing to record.
            if exc.response["Error"]["Code"] in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise

    def _create(self, identity: ObjectIdentity, analysis_id: str) -> None:
        """The item exists (RECEIVED, not yet normalized) before any work, so a failure always has a home."""
        with contextlib.suppress(AnalysisAlreadyExists):
            create_analysis(
                Analysis(
                    analysis_id,
                    status=AnalysisStatus.RECEIVED,
                    source_bucket=identity.bucket,
                    source_key=identity.key,
                    source_version=identity.version,
                    quality=self._settings.default_quality,
                    dst_actions=list(self._settings.default_actions),
                    expires_at=timedelta(days=self._settings.retention_days),
                )
            )

    def _check_size(self, size: int) -> None:
        if size > self._settings.max_upload_bytes:
            raise _Rejection(
                ErrorCode.IMAGE_TOO_LARGE,
                f"The upload is {size} bytes; the limit is {self._settings.max_upload_bytes} bytes.",
            )

    def _normalize(self, data: bytes, options: AnalysisOptions) -> NormalizedImage:
        try:
            return normalize_image(data, options.quality, max_pixels=self._settings.max_image_pixels)
        except ImageRejected as exc:
            raise _Rejection(exc.code, exc.message) from exc

    def _mark_received(
        self, analysis_id: str, identity: ObjectIdentity, options: AnalysisOptions, normalized_key: str, partner: bool
    ) -> Analysis | None:
        attributes = {
            "source_bucket": identity.bucket,
            "source_key": identity.key,
            "source_version": identity.version,
            "quality": options.quality.value,
            "dst_actions": list(options.dst_actions),
            "normalized_key": normalized_key,
        }
        target = AnalysisStatus.RECEIVED if partner else AnalysisStatus.QUEUED
        try:
            item = transition(analysis_id, target, attributes)
        except IllegalTransition:
            # Another delivery of the same object got here first; it starts the execution.
            return None
        return transition(analysis_id, AnalysisStatus.QUEUED) if partner else item

    def _ensure_started(self, item: Analysis) -> IngestResult:
        """Start the execution named by the analysis id; an existing one means a duplicate delivery."""
        if item.status is AnalysisStatus.RECEIVED and item.normalized_key:
            try:
                item = transition(item.analysis_id, AnalysisStatus.QUEUED)
            except IllegalTransition:
                item = Analysis.get(item.analysis_id, consistent_read=True)
        if item.status is not AnalysisStatus.QUEUED:
            return IngestResult(IngestOutcome.DUPLICATE, item.analysis_id)
        execution_input = {
            "analysis_id": item.analysis_id,
            "limits": {"submission_timeout_seconds": self._settings.submission_timeout_seconds},
        }
        try:
            self._sfn.start_execution(
                stateMachineArn=self._settings.state_machine_arn,
                name=item.analysis_id,
                input=json.dumps(execution_input, sort_keys=True),
            )
        except self._sfn.exceptions.ExecutionAlreadyExists:
            return IngestResult(IngestOutcome.DUPLICATE, item.analysis_id)
        return IngestResult(IngestOutcome.STARTED, item.analysis_id)

    def _fail(self, analysis_id: str, code: str, message: str) -> IngestResult:
        record_failure(analysis_id, code, message, self._publisher)
        return IngestResult(IngestOutcome.FAILED, analysis_id, code)

    def _refuse_unknown_partner_key(self, identity: ObjectIdentity) -> IngestResult:
        """A partner upload with no analysis awaiting it: recorded under the object's own key, never dropped."""
        analysis_id = identity.idempotency_key
        self._create(identity, analysis_id)
        return self._fail(
            analysis_id,
            ErrorCode.UPLOAD_MISSING,
            f"No analysis is awaiting the upload {identity.key}: create one with POST /v1/analyses and upload "
            "to the URL it returns.",
        )


def _still_needs_its_photo(item: Analysis) -> bool:
    """Awaiting a partner upload, or created by a delivery that stopped before storing the normalized photo."""
    return item.status is AnalysisStatus.AWAITING_UPLOAD or (
        item.status is AnalysisStatus.RECEIVED and not item.normalized_key
    )


def _find(analysis_id: str) -> Analysis | None:
    try:
        return Analysis.get(analysis_id, consistent_read=True)
    except Analysis.DoesNotExist:
        return None
