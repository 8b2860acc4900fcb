"""Check Status: one GET under a read permit; tells the state machine where to go, as booleans only.

The GET is skipped when a verified webhook already reported success on the item: the wait did not take the
webhook's token (the webhook came first, or after the wait timed out), and Finalize's GET reads the result anyway.

Choice states cannot compare AWS timestamps reliably, so the deadline is computed here and routed on
`deadline_passed` (LOCAL-EMULATION, "Gaps").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from skin_analysis.models import Analysis, AnalysisStatus, transition, utc_now
from skin_analysis.models.wait import rearm_webhook_wait, webhook_reported_success
from skin_analysis.provider.results import TaskState

if TYPE_CHECKING:
    from skin_analysis.polling.schedule import PollSchedule
    from skin_analysis.provider import PerfectCorpClient


class Progress(BaseModel):
    """The loop's state carried in the execution (`$.progress`); every key is always present."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    task_id: str
    attempt: int = 0
    delay_seconds: int = 0
    succeeded: bool = False
    failed: bool = False
    deadline_passed: bool = False
    error_code: str | None = None
    error_message: str | None = None


class CheckStatus:
    """Reads the provider task of an analysis and computes the next step of the loop."""

    def __init__(self, client: PerfectCorpClient, schedule: PollSchedule) -> None:
        self._client = client
        self._schedule = schedule

    def __call__(self, analysis_id: str, progress: Progress) -> Progress:
        """Raises the provider's errors (TaskExpired, ProviderTaskTimeout, rate and 5xx errors) for the machine."""
        attempt = progress.attempt + 1
        if webhook_reported_success(analysis_id):
            return Progress(task_id=progress.task_id, attempt=attempt, succeeded=True)
        status = self._client.get_task(progress.task_id)
        if status.state is TaskState.SUCCESS:
            return Progress(task_id=progress.task_id, attempt=attempt, succeeded=True)
        if status.state is TaskState.ERROR:
            return Progress(
                task_id=progress.task_id,
                attempt=attempt,
                failed=True,
                error_code=status.engine_error or "unknown_internal_error",
                error_message=status.error_message,
            )
        item = self._mark_running(analysis_id)
        started_at = item.submit_started_at or item.created_at or utc_now()
        return Progress(
            task_id=progress.task_id,
            attempt=attempt,
            delay_seconds=self._schedule.delay_after(attempt),
            deadline_passed=self._schedule.deadline_passed(started_at, utc_now(), attempt),
        )

    @staticmethod
    def _mark_running(analysis_id: str) -> Analysis:
        # A webhook that came while the task still ran (early or duplicated) must not wake every wait at once.
        # One write per poll: the status moves only on the first running answer, when the item says SUBMITTED.
        item = rearm_webhook_wait(analysis_id)
        if item.status is AnalysisStatus.SUBMITTED:
            return transition(analysis_id, AnalysisStatus.RUNNING)
        return item
