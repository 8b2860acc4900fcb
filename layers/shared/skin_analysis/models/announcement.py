"""Terminal events go out once: a lease picks the one step that publishes, `announced_at` records that it did.

The terminal transition and the PutEvents call cannot be one atomic write. A step that made the terminal move
took the lease in that same write (`lease_on_terminal_move`) and publishes; a step that finds the item terminal
but unannounced (a retry after a refused PutEvents, a duplicate finalizer racing the first) publishes only if it
wins the announcement lease (`announcing_until`), so two steps never both publish. A step that loses waits
briefly for the holder to record `announced_at`; if the holder died mid-publish, its lease lapses and a later
retry takes over (at least once, never twice concurrently).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import UpdateError

from skin_analysis.errors import SkinAnalysisError
from skin_analysis.models.analysis import Analysis, utc_now
from skin_analysis.models.status import TERMINAL_STATUSES

if TYPE_CHECKING:
    from collections.abc import Callable

    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action

#: Longer than any PutEvents with its own retries; a holder that died is replaced after this.
ANNOUNCE_LEASE = timedelta(seconds=30)
#: How long a step that lost the lease waits for the holder to finish before handing over to its own retry.
HOLDER_WAIT_SECONDS = 3.0
_POLL_SECONDS = 0.1


class AnnouncementPending(SkinAnalysisError):
    """Another step holds the announcement and has not finished: retry once its lease may have lapsed."""

    def __init__(self, analysis_id: str) -> None:
        super().__init__(f"analysis {analysis_id}: another step is publishing its terminal event")
        self.analysis_id = analysis_id


def lease_on_terminal_move() -> dict[str, object]:
    """Attributes for the terminal transition's own write: its maker holds the lease without a second write."""
    return {"announcing_until": utc_now() + ANNOUNCE_LEASE}


def announce(analysis_id: str, publish: Callable[[], None], *, leased: bool = False) -> bool:
    """Publish the terminal event of a terminal item unless it went out already; True when this call published.

    `leased`: the caller made the terminal move with `lease_on_terminal_move`, so the lease is already its own.
    Raises AnnouncementPending when another step holds the lease past HOLDER_WAIT_SECONDS, and whatever
    `publish` raises (the lease is then given back so the step's retry can publish at once).
    """
    if not leased and not _claim(analysis_id):
        _wait_for_holder(analysis_id)
        return False
    try:
        publish()
    except BaseException:
        _release(analysis_id)
        raise
    mark_announced(analysis_id)
    return True


def mark_announced(analysis_id: str) -> bool:
    """Record that the terminal event went out; False when another step had already recorded it."""
    return _updated(
        analysis_id,
        [Analysis.announced_at.set(utc_now()), Analysis.announcing_until.remove()],
        Analysis.status.is_in(*TERMINAL_STATUSES) & Analysis.announced_at.does_not_exist(),
    )


def owes_announcement(item: Analysis) -> bool:
    """A terminal item whose event has not been accepted yet."""
    return item.status in TERMINAL_STATUSES and item.announced_at is None


def _claim(analysis_id: str) -> bool:
    now = utc_now()
    free = Analysis.announcing_until.does_not_exist() | (Analysis.announcing_until < now)
    return _updated(
        analysis_id,
        [Analysis.announcing_until.set(now + ANNOUNCE_LEASE)],
        Analysis.status.is_in(*TERMINAL_STATUSES) & Analysis.announced_at.does_not_exist() & free,
    )


def _updated(analysis_id: str, actions: list[Action], condition: Condition) -> bool:
    """Apply `actions` if `condition` holds; False when it did not."""
    try:
        Analysis(analysis_id).update(actions=actions, condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _release(analysis_id: str) -> None:
    Analysis(analysis_id).update(
        actions=[Analysis.announcing_until.remove()], condition=Analysis.announced_at.does_not_exist()
    )


def _wait_for_holder(analysis_id: str) -> None:
    deadline = time.monotonic() + HOLDER_WAIT_SECONDS
    while True:
        item = Analysis.get(analysis_id, consistent_read=True)
        if not owes_announcement(item):
            return
        if time.monotonic() >= deadline:
            raise AnnouncementPending(analysis_id)
        time.sleep(_POLL_SECONDS)
