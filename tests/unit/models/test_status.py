"""The lifecycle rules, checked over every pair of statuses."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from skin_analysis.models.status import (
    INITIAL_STATUSES,
    LEGAL_PREDECESSORS,
    TERMINAL_STATUSES,
    AnalysisStatus,
    is_legal_move,
)

ORDER = list(AnalysisStatus)
statuses = st.sampled_from(ORDER)


@given(statuses, statuses)
def test_nothing_leaves_a_terminal_status(current: AnalysisStatus, target: AnalysisStatus) -> None:
    if current in TERMINAL_STATUSES:
        assert not is_legal_move(current, target)


@given(statuses, statuses)
def test_no_move_goes_backwards(current: AnalysisStatus, target: AnalysisStatus) -> None:
    if is_legal_move(current, target):
        assert ORDER.index(target) > ORDER.index(current)


@given(statuses)
def test_every_live_status_can_fail(current: AnalysisStatus) -> None:
    assert is_legal_move(current, AnalysisStatus.FAILED) == (not current.terminal)


def test_webhook_may_beat_the_first_poll() -> None:
    assert is_legal_move(AnalysisStatus.SUBMITTED, AnalysisStatus.SUCCEEDED)


def test_the_happy_path_is_a_chain() -> None:
    path = ["AWAITING_UPLOAD", "RECEIVED", "QUEUED", "SUBMITTED", "RUNNING", "SUCCEEDED"]
    for current, target in itertools.pairwise(path):
        assert is_legal_move(AnalysisStatus(current), AnalysisStatus(target))


def test_every_non_initial_status_is_reachable() -> None:
    for status, predecessors in LEGAL_PREDECESSORS.items():
        assert predecessors or status in INITIAL_STATUSES
