"""What a verified webhook does: find the analysis of its task, record that it came, wake the waiting execution.

The notification only says "look": it never changes a status. A verified "success" sends the execution to
Finalize, whose GET reads the result; any other report sends it through Check Status's GET. Whether the webhook
completed the stored token or the wait found `webhook_at` already set (the race rule, DESIGN §2), the status
it reported is kept on the item for Check Status.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from skin_analysis.models import TaskIndexEntry
from skin_analysis.models.wait import record_webhook, remember_early_webhook

if TYPE_CHECKING:
    from skin_analysis.callbacks import TaskCallbacks

#: The output the webhook gives the waiting task (Wait For Webhook puts it at `$.wake`); `task_status` is added.
WAKE_OUTPUT = {"woken_by": "webhook"}


class WebhookOutcome(StrEnum):
    """What one (first) delivery of a webhook led to."""

    #: The execution was waiting on its stored token and was resumed.
    WOKEN = "woken"
    #: `webhook_at` was set before the wait stored its token: the wait's condition fails and it checks at once.
    RECORDED = "recorded"
    #: A token was stored, but its wait had already timed out or been answered: Check Status runs anyway.
    WAIT_OVER = "wait_over"
    #: The analysis is finished (or erased): nothing to do.
    FINISHED = "finished"
    #: No analysis has this task: another key's task, a lost create's double, or a create not yet recorded.
    ORPHAN = "orphan"


@dataclass(frozen=True, slots=True)
class WakeResult:
    """The outcome and the analysis it concerned (None for an orphan)."""

    outcome: WebhookOutcome
    analysis_id: str | None = None


class WakeAnalysis:
    """Looks up the task, sets `webhook_at` and completes the stored token."""

    def __init__(self, callbacks: TaskCallbacks) -> None:
        self._callbacks = callbacks

    def __call__(self, task_id: str, webhook_id: str, task_status: str | None = None) -> WakeResult:
        """Handle the first delivery of a verified webhook about `task_id`."""
        analysis_id = _analysis_of(task_id)
        if analysis_id is None:
            # The webhook can beat the create's answer: leave a marker the submitter claims once it records the
            # task, then look again in case it recorded the task in between (write first, read second).
            remember_early_webhook(task_id, webhook_id, task_status)
            analysis_id = _analysis_of(task_id)
            if analysis_id is None:
                return WakeResult(WebhookOutcome.ORPHAN)
        seen = record_webhook(analysis_id, task_status)
        if seen is None:
            return WakeResult(WebhookOutcome.FINISHED, analysis_id)
        if seen.task_token is None:
            return WakeResult(WebhookOutcome.RECORDED, analysis_id)
        # A verified "success" lets the machine go straight to Finalize (its GET is the floor's second call);
        # anything else goes through Check Status, which reads the real status.
        woken = self._callbacks.succeed(seen.task_token, {**WAKE_OUTPUT, "task_status": task_status or "unknown"})
        return WakeResult(WebhookOutcome.WOKEN if woken else WebhookOutcome.WAIT_OVER, analysis_id)


def _analysis_of(task_id: str) -> str | None:
    """The analysis of a provider task, read with strong consistency (the index may be milliseconds old)."""
    try:
        return TaskIndexEntry.get(task_id, consistent_read=True).analysis_id
    except TaskIndexEntry.DoesNotExist:
        return None
