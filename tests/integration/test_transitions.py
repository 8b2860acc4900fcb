"""The conditional-transition helper against a real DynamoDB API (moto's server, over HTTP)."""

from __future__ import annotations

import itertools
import threading
import uuid

import pytest

from skin_analysis.models import (
    Analysis,
    AnalysisAlreadyExists,
    AnalysisNotFound,
    AnalysisStatus,
    IllegalTransition,
    create_analysis,
    is_legal_move,
    transition,
)

ALL = list(AnalysisStatus)


def _item_in(status: AnalysisStatus) -> str:
    """Create an analysis and walk it to `status` along legal moves."""
    analysis_id = uuid.uuid4().hex
    create_analysis(Analysis(analysis_id, status=AnalysisStatus.RECEIVED, quality="sd", dst_actions=["wrinkle"]))
    path = [AnalysisStatus.QUEUED, AnalysisStatus.SUBMITTED, AnalysisStatus.RUNNING]
    if status is AnalysisStatus.RECEIVED:
        return analysis_id
    for step in path:
        transition(analysis_id, step)
        if step is status:
            return analysis_id
    transition(analysis_id, status)
    return analysis_id


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (c, t)
        for c, t in itertools.product(ALL, ALL)
        if c is not AnalysisStatus.AWAITING_UPLOAD and t is not AnalysisStatus.AWAITING_UPLOAD
    ],
    ids=str,
)
def test_every_move_is_allowed_exactly_when_legal(
    analyses_table: str, current: AnalysisStatus, target: AnalysisStatus
) -> None:
    # Given an item in `current`
    analysis_id = _item_in(current)
    if is_legal_move(current, target):
        # When the legal move is made, Then the item is in `target` with the attributes set
        moved = transition(analysis_id, target, {"task_id": "task-1"})
        assert moved.status is target
        assert Analysis.get(analysis_id, consistent_read=True).task_id == "task-1"
    else:
        # When the illegal move is tried, Then it is refused and nothing changes
        with pytest.raises(IllegalTransition) as refused:
            transition(analysis_id, target, {"task_id": "should-not-be-written"})
        assert refused.value.current is current
        stored = Analysis.get(analysis_id, consistent_read=True)
        assert stored.status is current
        assert stored.task_id != "should-not-be-written"


def test_partner_item_moves_from_awaiting_upload(analyses_table: str) -> None:
    analysis_id = uuid.uuid4().hex
    create_analysis(
        Analysis(
            analysis_id, status=AnalysisStatus.AWAITING_UPLOAD, partner_id="p1", quality="hd", dst_actions=["hd_pore"]
        )
    )
    assert transition(analysis_id, AnalysisStatus.RECEIVED).status is AnalysisStatus.RECEIVED


def test_a_duplicate_terminal_move_is_recognised(analyses_table: str) -> None:
    analysis_id = _item_in(AnalysisStatus.SUCCEEDED)
    with pytest.raises(IllegalTransition) as duplicate:
        transition(analysis_id, AnalysisStatus.SUCCEEDED)
    assert duplicate.value.already_there


def test_none_removes_an_attribute(analyses_table: str) -> None:
    analysis_id = _item_in(AnalysisStatus.QUEUED)
    transition(analysis_id, AnalysisStatus.SUBMITTED, {"task_id": "t-9", "error_message": "transient note"})
    transition(analysis_id, AnalysisStatus.RUNNING, {"error_message": None})
    assert Analysis.get(analysis_id, consistent_read=True).error_message is None


def test_unknown_analysis_is_not_created_by_a_transition(analyses_table: str) -> None:
    missing = uuid.uuid4().hex
    with pytest.raises(AnalysisNotFound):
        transition(missing, AnalysisStatus.FAILED, {"error_code": "timeout"})
    with pytest.raises(Analysis.DoesNotExist):
        Analysis.get(missing, consistent_read=True)


def test_creating_twice_is_refused(analyses_table: str) -> None:
    analysis_id = _item_in(AnalysisStatus.RECEIVED)
    with pytest.raises(AnalysisAlreadyExists):
        create_analysis(Analysis(analysis_id, status=AnalysisStatus.RECEIVED, quality="sd", dst_actions=["acne"]))


def test_concurrent_writers_resolve_to_one_winner(analyses_table: str) -> None:
    # Given a running analysis and eight workers racing to finish it, half with success and half with failure
    analysis_id = _item_in(AnalysisStatus.RUNNING)
    targets = [AnalysisStatus.SUCCEEDED, AnalysisStatus.FAILED] * 4
    winners: list[AnalysisStatus] = []
    losers: list[IllegalTransition] = []
    barrier = threading.Barrier(len(targets))
    lock = threading.Lock()

    def finish(target: AnalysisStatus) -> None:
        barrier.wait()
        try:
            transition(analysis_id, target, {"error_code": "timeout" if target is AnalysisStatus.FAILED else None})
        except IllegalTransition as exc:
            with lock:
                losers.append(exc)
        else:
            with lock:
                winners.append(target)

    threads = [threading.Thread(target=finish, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly one write won, every other saw the winner's terminal status, and the item shows the winner
    assert len(winners) == 1
    assert len(losers) == len(targets) - 1
    assert {loser.current for loser in losers} == {winners[0]}
    assert Analysis.get(analysis_id, consistent_read=True).status is winners[0]
