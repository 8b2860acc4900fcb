"""One reconciler sweep: measure the oldest live analysis, and fail the ones nothing will ever end (DESIGN §9).

An analysis is stranded when it sits in a live status, untouched for `stranded_after`, while its latest
execution has ended (stopped by an operator, timed out, failed outside the state machine's catches) or never
started: no step will move it again, so it is failed with `execution_stopped`, which `skin-analysis replay`
re-drives (resuming its provider task when it has one). A partner analysis whose photo never came is failed
with `upload_missing` once the API already shows it so. Both go through `record_failure`, so an analysis that
ended meanwhile is left as it is and each failure is announced once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Final

from skin_analysis.errors import ErrorCode
from skin_analysis.models import Analysis, AnalysisStatus, utc_now
from skin_analysis.reconcile.executions import BudgetSpent, ExecutionState, execution_name
from skin_analysis.record_failure import record_failure

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from skin_analysis.events import EventPublisher
    from skin_analysis.partners.read_analysis import UploadWindow
    from skin_analysis.reconcile.executions import ExecutionLookup

#: The statuses an execution is responsible for: stuck in one of these means the pipeline is not finishing.
LIVE_STATUSES: Final = (
    AnalysisStatus.RECEIVED,
    AnalysisStatus.QUEUED,
    AnalysisStatus.SUBMITTED,
    AnalysisStatus.RUNNING,
)
#: Missed uploads failed per sweep: each is a write and an event; a larger backlog drains over later sweeps.
MAX_MISSED_UPLOADS: Final = 500


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What one sweep saw and did."""

    oldest_live_age_seconds: float
    stranded_failed: int
    missed_uploads_failed: int
    #: Quiet live analyses whose execution this sweep had no DescribeExecution budget left to check.
    unchecked: int


class Reconciler:
    """Sweeps the Analyses table's status index, oldest first."""

    def __init__(
        self,
        executions: ExecutionLookup,
        publisher: EventPublisher,
        upload_window: UploadWindow,
        *,
        stranded_after_seconds: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._executions = executions
        self._publisher = publisher
        # The window's own grace, or the stranded threshold when longer: never failed before the API shows it
        # FAILED, and never while an upload started just before the expiry may still be in ingest.
        self._window = replace(upload_window, grace_seconds=max(upload_window.grace_seconds, stranded_after_seconds))
        self._stranded_after = timedelta(seconds=stranded_after_seconds)
        self._clock = clock

    def sweep(self) -> SweepReport:
        """Fail what is stranded or missed, then measure what is still live."""
        now = self._clock()
        stranded, unchecked = self._fail_stranded(now - self._stranded_after)
        missed = self._fail_missed_uploads(now)
        return SweepReport(self._oldest_live_age(now), stranded, missed, unchecked)

    def _fail_stranded(self, quiet_since: datetime) -> tuple[int, int]:
        failed = unchecked = 0
        for item in _quiet_since(quiet_since):
            try:
                state = self._executions.latest(item)
            except BudgetSpent:
                unchecked += 1
                continue
            if not state.stopped:
                continue
            ended = "does not exist" if state is ExecutionState.MISSING else f"ended {state.value}"
            message = f"Its execution {execution_name(item)} {ended} while the analysis was {item.status.value}."
            if record_failure(item.analysis_id, ErrorCode.EXECUTION_STOPPED, message, self._publisher) is not None:
                failed += 1
        return failed, unchecked

    def _fail_missed_uploads(self, now: datetime) -> int:
        missed_if_created_by = now - timedelta(seconds=self._window.ttl_seconds + self._window.grace_seconds)
        failed = 0
        awaiting = Analysis.status_created_index.query(
            AnalysisStatus.AWAITING_UPLOAD, Analysis.created_at <= missed_if_created_by
        )
        for item in islice(awaiting, MAX_MISSED_UPLOADS):
            message = self._window.missed_message(item.created_at)
            if record_failure(item.analysis_id, ErrorCode.UPLOAD_MISSING, message, self._publisher) is not None:
                failed += 1
        return failed

    def _oldest_live_age(self, now: datetime) -> float:
        oldest = [
            item.created_at
            for status in LIVE_STATUSES
            for item in Analysis.status_created_index.query(status, limit=1)
            if item.created_at is not None
        ]
        return max(0.0, (now - min(oldest)).total_seconds()) if oldest else 0.0


def _quiet_since(moment: datetime) -> Iterator[Analysis]:
    """Live analyses not updated since `moment`, oldest first (created before it, since updated_at >= created_at)."""
    for status in LIVE_STATUSES:
        for item in Analysis.status_created_index.query(status, Analysis.created_at < moment):
            if item.updated_at is None or item.updated_at < moment:
                yield item
