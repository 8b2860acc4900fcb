"""How one failed analysis is re-driven: resume the provider task it has, or submit a new one.

The provider charges every task that succeeds and has no idempotency key. A task whose analysis failed while
we could not reach the provider (`provider_unavailable`), ran past our deadline (`timeout`) or lost its
execution (`execution_stopped`) may well have succeeded, or still be running: a replay resumes polling it,
and a success is read, not bought again. A task the provider itself ended (expired, timed out, an engine
error) is dead: only a new task can help, and an analysis that never got a task (no credit, bad key, an
uncertain submit) is submitted as if for the first time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from skin_analysis.errors import ErrorCode
from skin_analysis.models import AnalysisStatus, utc_now

if TYPE_CHECKING:
    from skin_analysis.models import Analysis

#: Failures that leave the provider task possibly alive (or done and charged): resume it, never create again.
TASK_MAY_LIVE = frozenset({ErrorCode.PROVIDER_UNAVAILABLE, ErrorCode.TIMEOUT, ErrorCode.EXECUTION_STOPPED})


class ReplayMode(StrEnum):
    """What the replayed execution does with the provider."""

    RESUME = "resume"
    RESUBMIT = "resubmit"


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """The reopen write for one analysis: its new status and the attributes set (None: removed)."""

    mode: ReplayMode
    target: AnalysisStatus
    task_id: str | None
    attributes: dict[str, object]


class NotReplayable(Exception):
    """The analysis cannot be re-driven by a new execution (it never got as far as a normalized photo)."""


# What the failed run left behind that a new execution must not trip over: the failure itself, the old
# wait's token and webhook verdict, and the Failed event's announcement (the replay owes a new terminal event).
_FAILURE_LEFTOVERS: dict[str, object] = {
    "error_code": None,
    "error_message": None,
    "task_token": None,
    "webhook_status": None,
    "announced_at": None,
    "announcing_until": None,
}


def plan_replay(item: Analysis) -> ReplayPlan:
    """The plan for a FAILED item; raises NotReplayable when no execution can redo it."""
    if not item.normalized_key:
        raise NotReplayable(
            "it has no normalized photo (it failed before or during ingest): create a new analysis instead"
        )
    if item.task_id and item.error_code in TASK_MAY_LIVE:
        now = utc_now()
        return ReplayPlan(
            ReplayMode.RESUME,
            AnalysisStatus.SUBMITTED,
            item.task_id,
            {
                **_FAILURE_LEFTOVERS,
                # A webhook may have come while the analysis was failed (and was dropped): check at once.
                "webhook_at": now,
                # Check Status counts the deadline from here: the resumed task gets a whole deadline again.
                "submit_started_at": now,
            },
        )
    return ReplayPlan(
        ReplayMode.RESUBMIT,
        AnalysisStatus.QUEUED,
        None,
        {**_FAILURE_LEFTOVERS, "task_id": None, "webhook_at": None, "submit_started_at": None},
    )
