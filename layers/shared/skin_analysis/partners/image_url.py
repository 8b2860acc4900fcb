"""An analysis whose photo we fetch from the partner's image_url, then hand to ingest like any upload.

The API checks the URL (scheme, form, literal addresses) and queues a `FetchRequest`; the fetch worker downloads
it behind the SSRF guard (remote_image) and writes the bytes to the analysis's own upload key with the options as
metadata, so the S3 trigger runs ingest exactly as for a form upload: sniffing, normalization, item, execution.
A download that fails ends the analysis FAILED `download_failed` with the usual Skin Analysis Failed event.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from skin_analysis.errors import ErrorCode
from skin_analysis.ingest.options import ACTIONS_METADATA, QUALITY_METADATA
from skin_analysis.models import AnalysisStatus
from skin_analysis.partners.errors import InvalidField
from skin_analysis.partners.ownership import find_analysis
from skin_analysis.record_failure import record_failure
from skin_analysis.remote_image import DownloadFailed, ImageUrlRefused

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

    from skin_analysis.events import EventPublisher
    from skin_analysis.models import Analysis
    from skin_analysis.remote_image import FetchedImage, ImageUrlPolicy


class InvalidImageUrl(InvalidField):
    """Raised when image_url is refused before anything is fetched (bad scheme or form, forbidden address)."""

    def __init__(self, reason: str) -> None:
        super().__init__("image_url", f"image_url is refused: {reason}.")


class FetchRequest(BaseModel):
    """The fetch queue's message: which analysis, whose, from where, to which upload key, with which options."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    analysis_id: str
    partner_id: str
    image_url: str
    key: str
    quality: str
    dst_actions: list[str]


class ImageUrlIntake:
    """The API's side: refuse what can be refused without fetching, queue the rest."""

    def __init__(self, policy: ImageUrlPolicy, sqs: SQSClient, queue_url: str) -> None:
        self._policy = policy
        self._sqs = sqs
        self._queue_url = queue_url

    def check(self, image_url: str) -> None:
        """InvalidImageUrl (a 400 naming image_url) for a URL that can never be fetched."""
        try:
            self._policy.check(image_url)
        except ImageUrlRefused as exc:
            raise InvalidImageUrl(exc.message) from exc

    def queue(self, item: Analysis, image_url: str) -> None:
        """Ask the fetch worker for the photo of `item` (created AWAITING_UPLOAD at its upload key)."""
        request = FetchRequest(
            analysis_id=item.analysis_id,
            partner_id=item.partner_id or "",
            image_url=image_url,
            key=item.source_key or "",
            quality=item.quality,
            dst_actions=list(item.dst_actions or []),
        )
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=request.model_dump_json())


class FetchOutcome(StrEnum):
    """What the worker did with one request."""

    STORED = "stored"
    FAILED = "failed"
    SKIPPED = "skipped"


class FetchPartnerImage:
    """The worker's side: download under the guard, store for ingest, or record download_failed."""

    def __init__(
        self,
        fetch: Callable[[str], FetchedImage],
        s3: S3Client,
        uploads_bucket: str,
        publisher: EventPublisher,
    ) -> None:
        self._fetch = fetch
        self._s3 = s3
        self._bucket = uploads_bucket
        self._publisher = publisher

    def __call__(self, request: FetchRequest) -> FetchOutcome:
        """Fetch once per analysis: a repeat finds the photo stored (or the analysis moved on, or erased)."""
        item = find_analysis(request.analysis_id)
        if item is None or item.partner_id != request.partner_id or item.status is not AnalysisStatus.AWAITING_UPLOAD:
            return FetchOutcome.SKIPPED
        if self._stored(request.key):
            return FetchOutcome.SKIPPED
        try:
            fetched = self._fetch(request.image_url)
        except DownloadFailed as exc:
            record_failure(
                request.analysis_id,
                ErrorCode.DOWNLOAD_FAILED,
                f"The image_url could not be fetched: {exc.message}.",
                self._publisher,
            )
            return FetchOutcome.FAILED
        self._s3.put_object(
            Bucket=self._bucket,
            Key=request.key,
            Body=fetched.data,
            Metadata={QUALITY_METADATA: request.quality, ACTIONS_METADATA: ",".join(request.dst_actions)},
        )
        return FetchOutcome.STORED

    def _stored(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True
