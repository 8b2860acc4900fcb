"""Which failed analyses are resumed on their task, which are submitted again, and which cannot be replayed."""

from __future__ import annotations

import pytest

from skin_analysis.models import Analysis, AnalysisStatus
from skin_analysis.replay import ReplayMode, plan_replay
from skin_analysis.replay.plan import NotReplayable


def _failed(
    code: str, *, task_id: str | None = "task-1", normalized_key: str | None = "analyses/a/normalized.jpg"
) -> Analysis:
    return Analysis(
        "a" * 64,
        status=AnalysisStatus.FAILED,
        quality="sd",
        dst_actions=["wrinkle"],
        error_code=code,
        task_id=task_id,
        normalized_key=normalized_key,
    )


@pytest.mark.parametrize("code", ["provider_unavailable", "timeout", "execution_stopped"])
def test_a_task_that_may_have_succeeded_is_resumed(code: str) -> None:
    plan = plan_replay(_failed(code))
    assert (plan.mode, plan.target, plan.task_id) == (ReplayMode.RESUME, AnalysisStatus.SUBMITTED, "task-1")
    assert "task_id" not in plan.attributes
    assert plan.attributes["webhook_at"] is not None


@pytest.mark.parametrize(
    ("code", "task_id"),
    [
        ("task_expired", "task-1"),
        ("provider_task_timeout", "task-1"),
        ("error_inference", "task-1"),
        ("provider_unavailable", None),
        ("insufficient_credit", None),
        ("submission_uncertain", None),
    ],
)
def test_a_dead_or_missing_task_is_submitted_again(code: str, task_id: str | None) -> None:
    plan = plan_replay(_failed(code, task_id=task_id))
    assert (plan.mode, plan.target) == (ReplayMode.RESUBMIT, AnalysisStatus.QUEUED)
    assert plan.attributes["task_id"] is None
    assert plan.attributes["submit_started_at"] is None


@pytest.mark.parametrize("mode_code", ["provider_unavailable", "task_expired"])
def test_every_replay_clears_the_failure_and_owes_a_new_event(mode_code: str) -> None:
    attributes = plan_replay(_failed(mode_code)).attributes
    for cleared in ("error_code", "error_message", "task_token", "webhook_status", "announced_at"):
        assert attributes[cleared] is None, cleared


def test_an_analysis_without_its_normalized_photo_cannot_be_replayed() -> None:
    with pytest.raises(NotReplayable):
        plan_replay(_failed("download_failed", task_id=None, normalized_key=None))
