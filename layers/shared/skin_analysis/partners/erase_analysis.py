"""DELETE /v1/analyses/{id}: erase the photo, the normalized photo, the masks, the item, its index entries and
the provider task, and answer the same way however often it is repeated.

Order matters. A finished analysis loses its provider task first (while the item still names it), then its
objects and index entries, and its item last, so a failure half-way leaves an item a retried DELETE finishes.
An analysis still awaiting its photo loses its item first, on condition it is still awaiting, then its objects:
a photo landing in between finds no analysis, and ingest either finds the object gone or records it as a stray
upload (upload_missing, under the object's own key, with no partner). An analysis the pipeline is working on
cannot be erased until it ends (its steps would write results after the erasure).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from pynamodb.exceptions import DeleteError

from skin_analysis.finalize import analysis_prefix
from skin_analysis.models import TERMINAL_STATUSES, Analysis, AnalysisStatus, TaskIndexEntry
from skin_analysis.partners.errors import AnalysisInProgress, AnalysisNotVisible, ErasureBlocked
from skin_analysis.partners.ownership import find_analysis, is_analysis_id
from skin_analysis.provider.errors import ProviderError
from skin_analysis.ratelimit import RateBudgetExhausted

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_s3 import S3Client

    from skin_analysis.partners.identity import PartnerIdentity
    from skin_analysis.provider.client import PerfectCorpClient

_DELETE_BATCH: Final = 1000  # S3 DeleteObjects takes at most 1000 keys
_RETRY_AFTER_SECONDS: Final = 30.0


class Erasure(StrEnum):
    """What DELETE did."""

    ERASED = "erased"
    ALREADY_GONE = "already_gone"


@dataclass(frozen=True, slots=True)
class ErasureResult:
    """The outcome, with what was removed (for logs and metrics; never the keys themselves)."""

    outcome: Erasure
    objects_deleted: int = 0
    provider_task_deleted: bool = False
    #: Why the provider task was left to expire at the provider (the error class name), if it was.
    provider_task_skipped: str | None = None


class ErasePartnerAnalysis:
    """Erases one of the caller's analyses everywhere we put something of it."""

    def __init__(
        self,
        s3: S3Client,
        *,
        uploads_bucket: str,
        results_bucket: str,
        provider: Callable[[], PerfectCorpClient],
    ) -> None:
        self._s3 = s3
        self._uploads = uploads_bucket
        self._results = results_bucket
        self._provider = provider

    def __call__(self, partner: PartnerIdentity, analysis_id: str) -> ErasureResult:
        """Erase the analysis; ALREADY_GONE when there is nothing (left) to erase.

        An id that cannot exist, or another partner's analysis, is AnalysisNotVisible (404).
        """
        if not is_analysis_id(analysis_id):
            raise AnalysisNotVisible(analysis_id)
        item = find_analysis(analysis_id)
        if item is None:
            return ErasureResult(Erasure.ALREADY_GONE)
        if item.partner_id != partner.partner_id:
            raise AnalysisNotVisible(analysis_id)
        if item.status is AnalysisStatus.AWAITING_UPLOAD:
            if not self._delete_item(item):
                return self(partner, analysis_id)
            return ErasureResult(Erasure.ERASED, self._delete_objects(item))
        if item.status not in TERMINAL_STATUSES:
            raise AnalysisInProgress(analysis_id, item.status.value)
        skipped = self._delete_provider_task(item)
        objects = self._delete_objects(item)
        self._delete_index_entries(item)
        self._delete_item(item)
        return ErasureResult(Erasure.ERASED, objects, bool(item.task_id) and skipped is None, skipped)

    def _delete_provider_task(self, item: Analysis) -> str | None:
        """Delete the finished task at the provider; returns why it was skipped (None: deleted or no task).

        A task the provider no longer has, has not finished, or refuses to delete is left to expire there: our
        own copy must not outlive the request because of it. Only a retryable failure blocks the erasure.
        """
        if not item.task_id:
            return None
        try:
            self._provider().delete_task(item.task_id)
        except RateBudgetExhausted as exc:
            raise ErasureBlocked(item.analysis_id, "the provider's rate budget is in use", exc.retry_after) from exc
        except ProviderError as exc:
            if exc.retryable:
                raise ErasureBlocked(item.analysis_id, "the provider is unavailable", _RETRY_AFTER_SECONDS) from exc
            return type(exc).__name__
        return None

    def _delete_objects(self, item: Analysis) -> int:
        """The uploaded photo and everything under analyses/<id>/ in the results bucket."""
        deleted = 0
        if item.source_key and item.source_bucket in (None, self._uploads):
            self._s3.delete_object(Bucket=self._uploads, Key=item.source_key)
            deleted += 1
        keys: list[str] = []
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._results, Prefix=analysis_prefix(item.analysis_id)):
            keys.extend(entry["Key"] for entry in page.get("Contents", []))
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            answer = self._s3.delete_objects(
                Bucket=self._results, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
            )
            errors = answer.get("Errors", [])
            if errors:
                reason = f"{len(errors)} result objects could not be deleted"
                raise ErasureBlocked(item.analysis_id, reason, _RETRY_AFTER_SECONDS)
            deleted += len(batch)
        return deleted

    def _delete_index_entries(self, item: Analysis) -> None:
        if not item.task_id:
            return
        # An early-webhook marker of the task (models/wait.py) is claimed by the submitter long before the
        # analysis ends, and expires in a day otherwise; it holds no analysis id.
        TaskIndexEntry(item.task_id).delete()

    def _delete_item(self, item: Analysis) -> bool:
        """Delete the item unless its status moved since it was read; False when it did."""
        try:
            item.delete(condition=Analysis.status == item.status)
        except DeleteError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True
