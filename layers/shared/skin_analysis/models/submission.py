"""The writes around one provider create: the in-flight marker, uncertain outcomes, and the task id + index.

`submit_started_at` is set right before a create is sent and removed when the create provably never reached
the provider, so a later delivery that finds it set (and no task id) knows the previous outcome is unknown.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import TYPE_CHECKING

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from skin_analysis.models.analysis import Analysis, utc_now
from skin_analysis.models.status import LEGAL_PREDECESSORS, AnalysisStatus
from skin_analysis.models.task_index import TaskIndexEntry
from skin_analysis.models.transitions import IllegalTransition, StateConflict, lost_move

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action


class SubmitInFlight(StateConflict):
    """Raised when another attempt has marked the analysis: it may be sending its create right now."""


def mark_submit_started(analysis_id: str) -> None:
    """Record that a create is about to be sent; only one attempt at a time may hold the marker."""
    try:
        _update_queued(
            analysis_id,
            [Analysis.submit_started_at.set(utc_now())],
            Analysis.submit_started_at.does_not_exist() & Analysis.task_id.does_not_exist(),
        )
    except IllegalTransition as exc:
        if exc.current is not AnalysisStatus.QUEUED:
            raise
        raise SubmitInFlight(f"analysis {analysis_id} has a submit attempt in flight") from exc


def clear_submit_started(analysis_id: str) -> None:
    """The create provably never reached the provider: a later attempt is a first attempt again."""
    _update_queued(analysis_id, [Analysis.submit_started_at.remove()])


def count_uncertain_submit(analysis_id: str) -> int:
    """Count one create whose outcome is unknown and clear the marker; returns the new count."""
    item = _update_queued(analysis_id, [Analysis.uncertain_submits.add(1), Analysis.submit_started_at.remove()])
    return int(item.uncertain_submits or 0)


def record_submitted_task(analysis_id: str, task_id: str, task_index_ttl_days: int = 30) -> None:
    """QUEUED -> SUBMITTED with the task id, and the task index entry, in one transaction.

    Raises IllegalTransition when the analysis is no longer QUEUED (another delivery recorded its task first).
    """
    index_entry = TaskIndexEntry(task_id, analysis_id=analysis_id)
    index_entry.expires_at = utc_now() + timedelta(days=task_index_ttl_days)
    try:
        with TransactWrite(connection=_transactions()) as transaction:
            transaction.update(
                Analysis(analysis_id),
                actions=[
                    Analysis.status.set(AnalysisStatus.SUBMITTED),
                    Analysis.task_id.set(task_id),
                    Analysis.updated_at.set(utc_now()),
                ],
                condition=Analysis.status.is_in(*LEGAL_PREDECESSORS[AnalysisStatus.SUBMITTED])
                & Analysis.task_id.does_not_exist(),
            )
            transaction.save(index_entry, condition=TaskIndexEntry.task_id.does_not_exist())
    except TransactWriteError as exc:
        if exc.cause_response_code != "TransactionCanceledException":
            raise
        raise lost_move(analysis_id, AnalysisStatus.SUBMITTED) from exc


@functools.cache
def _transactions() -> Connection:
    """One connection per execution environment: each new one builds a botocore client (~0.1 s of CPU)."""
    return Connection()


def _update_queued(analysis_id: str, actions: list[Action], condition: Condition | None = None) -> Analysis:
    item = Analysis(analysis_id)
    queued = Analysis.status == AnalysisStatus.QUEUED
    try:
        item.update(actions=actions, condition=queued if condition is None else queued & condition)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise lost_move(analysis_id, AnalysisStatus.QUEUED) from exc
    return item
