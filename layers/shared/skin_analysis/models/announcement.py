"""Terminal events are owed until EventBridge accepts them: a retried step publishes what an earlier try could not.

The terminal transition and the PutEvents call cannot be one atomic write, so the item remembers whether its
event went out (`announced_at`). A step that finds its item already terminal but unannounced publishes again.
"""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from skin_analysis.models.analysis import Analysis, utc_now
from skin_analysis.models.status import TERMINAL_STATUSES


def mark_announced(analysis_id: str) -> bool:
    """Record that the terminal event went out; False when another step had already recorded it."""
    try:
        Analysis(analysis_id).update(
            actions=[Analysis.announced_at.set(utc_now())],
            condition=Analysis.status.is_in(*TERMINAL_STATUSES) & Analysis.announced_at.does_not_exist(),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def owes_announcement(item: Analysis) -> bool:
    """A terminal item whose event has not been accepted yet."""
    return item.status in TERMINAL_STATUSES and item.announced_at is None
