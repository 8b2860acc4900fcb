"""Every status change is a conditional write: an item only moves along LEGAL_PREDECESSORS, atomically."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PutError, UpdateError

from skin_analysis.errors import SkinAnalysisError
from skin_analysis.models.analysis import Analysis, utc_now
from skin_analysis.models.status import (
    INITIAL_STATUSES,
    LEGAL_PREDECESSORS,
    REOPEN_TARGETS,
    REOPENED_FROM,
    AnalysisStatus,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action


class StateConflict(SkinAnalysisError):
    """Base of the errors raised when a conditional write on an analysis item loses."""


class AnalysisNotFound(StateConflict):
    """Raised when a transition names an analysis that has no item."""

    def __init__(self, analysis_id: str) -> None:
        super().__init__(f"analysis {analysis_id} does not exist")
        self.analysis_id = analysis_id


class AnalysisAlreadyExists(StateConflict):
    """Raised when creating an item whose analysis id is taken (a duplicate delivery of the same upload)."""

    def __init__(self, analysis_id: str) -> None:
        super().__init__(f"analysis {analysis_id} already exists")
        self.analysis_id = analysis_id


class IllegalTransition(StateConflict):
    """Raised when the item's current status does not allow the move (a regression, a skip or a terminal)."""

    def __init__(self, analysis_id: str, current: AnalysisStatus, target: AnalysisStatus) -> None:
        super().__init__(f"analysis {analysis_id} is {current}; it cannot move to {target}")
        self.analysis_id = analysis_id
        self.current = current
        self.target = target

    @property
    def already_there(self) -> bool:
        """True for a duplicate of a move that already happened (safe to treat as done)."""
        return self.current == self.target


def create_analysis(item: Analysis) -> Analysis:
    """Save a new analysis item unless one with its id exists."""
    if item.status not in INITIAL_STATUSES:
        raise ValueError(f"an analysis is created as one of {sorted(INITIAL_STATUSES)}, not {item.status}")
    item.updated_at = utc_now()
    try:
        item.save(condition=Analysis.analysis_id.does_not_exist())
    except PutError as exc:
        if _lost_condition(exc):
            raise AnalysisAlreadyExists(item.analysis_id) from exc
        raise
    return item


def transition(analysis_id: str, target: AnalysisStatus, attributes: Mapping[str, Any] | None = None) -> Analysis:
    """Move an analysis to `target` and set `attributes` in one conditional update; returns the new item.

    Raises IllegalTransition when the current status does not allow the move, AnalysisNotFound when there is
    no such item. `None` values remove the attribute.
    """
    actions = [Analysis.status.set(target), Analysis.updated_at.set(utc_now()), *_attribute_actions(attributes)]
    condition = Analysis.analysis_id.exists() & Analysis.status.is_in(*LEGAL_PREDECESSORS[target])
    try:
        return _conditional_update(analysis_id, actions, condition)
    except _ConditionLost as exc:
        raise lost_move(analysis_id, target) from exc


class ReopenLost(StateConflict):
    """Raised when a FAILED analysis changed since it was read: another replay reopened it first, or it moved on."""

    def __init__(self, analysis_id: str) -> None:
        super().__init__(f"analysis {analysis_id} changed since it was read; it was not reopened")
        self.analysis_id = analysis_id


def reopen(analysis_id: str, target: AnalysisStatus, seen: Analysis, attributes: Mapping[str, Any]) -> Analysis:
    """Move a FAILED analysis back to `target` (QUEUED or SUBMITTED) for a replay; returns the new item.

    The write is conditional on the item still being exactly the failure `seen` (status, `error_code` and the
    `updated_at` of its failure), so of two replays that read the same failure only one reopens it, and a
    failure replayed and failed again is not reopened on the strength of the older read. Counts `replays`.
    Raises ReopenLost otherwise. `None` values in `attributes` remove the attribute.
    """
    if target not in REOPEN_TARGETS:
        raise ValueError(f"a failed analysis is reopened as one of {sorted(REOPEN_TARGETS)}, not {target}")
    actions: list[Action] = [
        Analysis.status.set(target),
        Analysis.updated_at.set(utc_now()),
        Analysis.replays.add(1),
        Analysis.replayed_at.set(utc_now()),
        *_attribute_actions(attributes),
    ]
    condition = (
        (Analysis.status == REOPENED_FROM)
        & (Analysis.updated_at == seen.updated_at)
        & (Analysis.error_code == seen.error_code if seen.error_code else Analysis.error_code.does_not_exist())
    )
    try:
        return _conditional_update(analysis_id, actions, condition)
    except _ConditionLost as exc:
        raise ReopenLost(analysis_id) from exc


def lost_move(analysis_id: str, target: AnalysisStatus) -> IllegalTransition | AnalysisNotFound:
    """Why a conditional write towards `target` lost: the item's current status, or that there is no item."""
    current = current_status(analysis_id)
    return AnalysisNotFound(analysis_id) if current is None else IllegalTransition(analysis_id, current, target)


def current_status(analysis_id: str) -> AnalysisStatus | None:
    """The item's status, read with strong consistency; None when there is no such analysis."""
    try:
        return Analysis.get(analysis_id, consistent_read=True, attributes_to_get=["status"]).status
    except Analysis.DoesNotExist:
        return None


class _ConditionLost(Exception):
    """The update's condition did not hold; the caller says why."""


def _conditional_update(analysis_id: str, actions: list[Action], condition: Condition) -> Analysis:
    item = Analysis(analysis_id)
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if not _lost_condition(exc):
            raise
        raise _ConditionLost from exc
    return item


def _attribute_actions(attributes: Mapping[str, Any] | None) -> list[Action]:
    """SET each named attribute, or REMOVE it when its value is None."""
    actions: list[Action] = []
    for name, value in (attributes or {}).items():
        attribute = Analysis.get_attributes()[name]
        actions.append(attribute.remove() if value is None else attribute.set(value))
    return actions


def _lost_condition(exc: PutError | UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"
