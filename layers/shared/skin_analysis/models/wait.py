"""The two writes that race on one item during Wait For Webhook (DESIGN §2, the race rule).

The state machine stores its task token with `attribute_not_exists(webhook_at)`; the webhook sets `webhook_at`
and takes the stored token. Whichever happens second completes the wait at once.

A webhook can also beat the create's answer, before the task index knows its task id. The webhook then leaves
an early-webhook marker next to the index entries, and the submitter, right after storing the index, claims
it and sets `webhook_at` before the wait starts: the wait's condition fails and the analysis is checked at
once. Each side writes first and reads the other's write second, so at least one of them sees the other.

Either way the webhook's reported task status is kept as `webhook_status`: when the wait did not take the
webhook's token (it came first, or after the wait timed out), Check Status reads a verified "success" there
instead of spending a status GET, so a healthy analysis costs two provider calls whoever wins the race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.models import Model

from skin_analysis.models.analysis import Analysis, utc_now
from skin_analysis.models.status import AnalysisStatus
from skin_analysis.models.task_index import TaskIndexEntry
from skin_analysis.models.transitions import lost_move

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

#: Statuses in which an execution may be waiting for the provider (a task id exists, no result yet).
WAITING_STATUSES = (AnalysisStatus.SUBMITTED, AnalysisStatus.RUNNING)
#: How long an unclaimed early-webhook marker is kept (it only matters for the seconds around a create).
EARLY_WEBHOOK_TTL = timedelta(days=1)
_EARLY_PREFIX = "early#"
#: The webhook's `data.task_status` when the task finished well (contract §7.2).
_SUCCESS = "success"


def rearm_webhook_wait(analysis_id: str) -> Analysis:
    """Forget a webhook seen while the task still ran, so the next wait sleeps instead of failing at once.

    Returns the item as it is now; raises IllegalTransition when the analysis no longer waits on its task.
    """
    item = Analysis(analysis_id)
    try:
        item.update(
            actions=[Analysis.webhook_at.remove(), Analysis.webhook_status.remove(), Analysis.task_token.remove()],
            condition=Analysis.status.is_in(*WAITING_STATUSES),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise lost_move(analysis_id, AnalysisStatus.RUNNING) from exc
    return item


def webhook_reported_success(analysis_id: str) -> bool:
    """True when a verified webhook said "success" since the last re-arm (the result is ready to read)."""
    try:
        item = Analysis.get(analysis_id, consistent_read=True, attributes_to_get=["webhook_status"])
    except Analysis.DoesNotExist:
        return False
    return item.webhook_status == _SUCCESS


@dataclass(frozen=True, slots=True)
class WebhookSeen:
    """What the webhook's write found on a waiting analysis."""

    analysis_id: str
    task_token: str | None

    @property
    def wait_started(self) -> bool:
        """True when the wait stored its token first: the webhook must complete it."""
        return self.task_token is not None


def record_webhook(analysis_id: str, task_status: str | None = None) -> WebhookSeen | None:
    """Set `webhook_at` (and the reported `webhook_status`) on a waiting analysis; return the token its wait stored.

    None when the analysis is finished or gone: there is nothing to wake. A wait that has not stored its token
    yet will find `webhook_at` and go straight to Check Status.
    """
    item = Analysis(analysis_id)
    actions: list[Action] = [Analysis.webhook_at.set(utc_now())]
    if task_status:
        actions.append(Analysis.webhook_status.set(task_status))
    try:
        item.update(
            actions=actions,
            condition=Analysis.status.is_in(*WAITING_STATUSES),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return None
    return WebhookSeen(analysis_id, item.task_token)


class EarlyWebhook(Model):
    """A verified webhook for a task id the index did not know yet, kept in the task index table."""

    class Meta(TaskIndexEntry.Meta):
        """The task index table itself: its name is inherited, so bind_tables binds both; keys `early#<id>`."""

    task_id = UnicodeAttribute(hash_key=True)
    webhook_id = UnicodeAttribute()
    task_status = UnicodeAttribute(null=True)
    seen_at = UTCDateTimeAttribute(default_for_new=utc_now)
    expires_at = TTLAttribute(null=True)


def remember_early_webhook(task_id: str, webhook_id: str, task_status: str | None = None) -> None:
    """Leave a marker for the submitter: this task's webhook came before its task id was recorded."""
    marker = EarlyWebhook(_EARLY_PREFIX + task_id, webhook_id=webhook_id, task_status=task_status)
    marker.expires_at = utc_now() + EARLY_WEBHOOK_TTL
    marker.save()


def claim_early_webhook(task_id: str, analysis_id: str) -> bool:
    """After the task index is stored: apply a webhook that came first (sets `webhook_at`); True if there was one.

    Call it before answering Queue For Submission, so the wait that follows finds `webhook_at` and checks at once.
    """
    try:
        marker = EarlyWebhook.get(_EARLY_PREFIX + task_id, consistent_read=True)
    except EarlyWebhook.DoesNotExist:
        return False
    try:
        # Conditional, so two submitters racing on one marker (a redelivered message) apply it once.
        marker.delete(condition=EarlyWebhook.task_id.exists())
    except DeleteError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    record_webhook(analysis_id, marker.task_status)
    return True


def connect_wait_models() -> None:
    """Open, at cold start, the connection of each model the webhook uses.

    pynamodb builds one botocore session and client per model on its first call (hundreds of milliseconds of
    loading service data); a DescribeTable each moves that out of the first delivery.
    """
    for model in (Analysis, TaskIndexEntry, EarlyWebhook):
        model.describe_table()
