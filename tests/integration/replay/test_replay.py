"""Replaying failed analyses against a real DynamoDB and Step Functions API (moto's server, over HTTP)."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from skin_analysis.models import Analysis, AnalysisStatus, create_analysis, transition, utc_now
from skin_analysis.models.transitions import ReopenLost, reopen
from skin_analysis.replay import Replayer, ReplayOutcome, ReplaySelection

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_stepfunctions import SFNClient

_PASS_MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


@pytest.fixture(scope="module")
def sfn(boto_session: boto3.Session) -> SFNClient:
    return boto_session.client("stepfunctions")


@pytest.fixture(scope="module")
def machine_arn(sfn: SFNClient) -> str:
    role = "arn:aws:iam::123456789012:role/replay-test"
    return sfn.create_state_machine(name=f"replay-{uuid.uuid4().hex[:8]}", definition=_PASS_MACHINE, roleArn=role)[
        "stateMachineArn"
    ]


@pytest.fixture
def replayer(analyses_table: str, sfn: SFNClient, machine_arn: str) -> Replayer:
    return Replayer(sfn, machine_arn)


def _failed(
    sfn: SFNClient, machine_arn: str, code: str, *, task_id: str | None = "task-1", normalized: bool = True
) -> Analysis:
    """A FAILED analysis as the pipeline leaves it: started by an execution named by its id, announced."""
    analysis_id = uuid.uuid4().hex
    create_analysis(Analysis(analysis_id, status=AnalysisStatus.RECEIVED, quality="sd", dst_actions=["wrinkle"]))
    normalized_key = f"analyses/{analysis_id}/normalized.jpg" if normalized else None
    transition(analysis_id, AnalysisStatus.QUEUED, {"normalized_key": normalized_key})
    first_input = {"analysis_id": analysis_id, "limits": {"submission_timeout_seconds": 321}}
    sfn.start_execution(stateMachineArn=machine_arn, name=analysis_id, input=json.dumps(first_input))
    if task_id:
        transition(analysis_id, AnalysisStatus.SUBMITTED, {"task_id": task_id})
    transition(
        analysis_id,
        AnalysisStatus.FAILED,
        {"error_code": code, "error_message": "it broke", "announced_at": utc_now(), "webhook_at": utc_now()},
    )
    return Analysis.get(analysis_id, consistent_read=True)


def _executions(sfn: SFNClient, machine_arn: str, analysis_id: str) -> list[str]:
    listed = sfn.list_executions(stateMachineArn=machine_arn, maxResults=1000)["executions"]
    return sorted(e["name"] for e in listed if e["name"].startswith(f"{analysis_id}-r"))


def test_a_task_that_may_have_succeeded_is_resumed_not_created_again(
    replayer: Replayer, sfn: SFNClient, machine_arn: str
) -> None:
    # Given an analysis that failed provider_unavailable while its provider task ran
    item = _failed(sfn, machine_arn, "provider_unavailable", task_id="task-alive")

    # When it is replayed
    result = replayer.replay(item)

    # Then it is SUBMITTED again with the same task, ready to be checked at once, its failure and event cleared
    assert result.outcome is ReplayOutcome.RESUMED
    assert result.execution_name == f"{item.analysis_id}-r1"
    stored = Analysis.get(item.analysis_id, consistent_read=True)
    assert stored.status is AnalysisStatus.SUBMITTED
    assert stored.task_id == "task-alive"
    assert stored.webhook_at is not None
    assert stored.error_code is None
    assert stored.error_message is None
    assert stored.announced_at is None
    assert stored.replays == 1
    # And one new execution runs, with the first execution's input
    assert _executions(sfn, machine_arn, item.analysis_id) == [f"{item.analysis_id}-r1"]
    arn = machine_arn.replace(":stateMachine:", ":execution:") + f":{item.analysis_id}-r1"
    assert json.loads(sfn.describe_execution(executionArn=arn)["input"])["limits"] == {
        "submission_timeout_seconds": 321
    }


def test_a_dead_task_is_submitted_again(replayer: Replayer, sfn: SFNClient, machine_arn: str) -> None:
    # Given an analysis whose provider task expired
    item = _failed(sfn, machine_arn, "task_expired", task_id="task-dead")

    # When it is replayed
    result = replayer.replay(item)

    # Then it is QUEUED with no task, so the submitter creates one
    assert result.outcome is ReplayOutcome.RESUBMITTED
    stored = Analysis.get(item.analysis_id, consistent_read=True)
    assert stored.status is AnalysisStatus.QUEUED
    assert stored.task_id is None
    assert stored.webhook_at is None
    assert stored.submit_started_at is None


def test_two_replays_at_once_re_drive_an_analysis_once(replayer: Replayer, sfn: SFNClient, machine_arn: str) -> None:
    # Given a failed analysis read by four replays at the same moment
    item = _failed(sfn, machine_arn, "provider_unavailable")
    outcomes: list[ReplayOutcome] = []
    barrier = threading.Barrier(4)

    def replay() -> None:
        barrier.wait()
        outcomes.append(replayer.replay(item).outcome)

    # When they all replay it
    threads = [threading.Thread(target=replay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then exactly one reopens it and starts an execution; the others find it taken
    assert sorted(outcomes) == sorted([ReplayOutcome.RESUMED] + [ReplayOutcome.TAKEN] * 3)
    assert _executions(sfn, machine_arn, item.analysis_id) == [f"{item.analysis_id}-r1"]
    assert Analysis.get(item.analysis_id, consistent_read=True).replays == 1


def test_a_stale_read_does_not_reopen_a_newer_failure(replayer: Replayer, sfn: SFNClient, machine_arn: str) -> None:
    # Given a failure that was replayed and failed again after a slow replay had read it
    stale = _failed(sfn, machine_arn, "provider_unavailable")
    replayer.replay(stale)
    transition(stale.analysis_id, AnalysisStatus.FAILED, {"error_code": "provider_unavailable"})

    # When the slow replay acts on its old read, Then it loses; a fresh read is replayed as the second replay
    assert replayer.replay(stale).outcome is ReplayOutcome.TAKEN
    fresh = Analysis.get(stale.analysis_id, consistent_read=True)
    assert replayer.replay(fresh).execution_name == f"{stale.analysis_id}-r2"


def test_a_succeeded_analysis_is_never_reopened(analyses_table: str) -> None:
    # Given a SUCCEEDED analysis
    analysis_id = uuid.uuid4().hex
    create_analysis(Analysis(analysis_id, status=AnalysisStatus.RECEIVED, quality="sd", dst_actions=["wrinkle"]))
    for status in (AnalysisStatus.QUEUED, AnalysisStatus.SUBMITTED, AnalysisStatus.SUCCEEDED):
        transition(analysis_id, status)
    seen = Analysis.get(analysis_id, consistent_read=True)

    # When something tries to reopen it, Then the write is refused and the item is unchanged
    with pytest.raises(ReopenLost):
        reopen(analysis_id, AnalysisStatus.QUEUED, seen, {})
    assert Analysis.get(analysis_id, consistent_read=True).status is AnalysisStatus.SUCCEEDED


def test_a_dry_run_changes_nothing(replayer: Replayer, sfn: SFNClient, machine_arn: str) -> None:
    # Given a failed analysis
    item = _failed(sfn, machine_arn, "provider_unavailable")

    # When a dry run looks at it
    result = replayer.replay(item, dry_run=True)

    # Then it says what it would do and neither the item nor the executions change
    assert result.outcome is ReplayOutcome.WOULD_RESUME
    assert Analysis.get(item.analysis_id, consistent_read=True).attribute_values == item.attribute_values
    assert _executions(sfn, machine_arn, item.analysis_id) == []


def test_an_analysis_without_its_photo_is_skipped(replayer: Replayer, sfn: SFNClient, machine_arn: str) -> None:
    item = _failed(sfn, machine_arn, "provider_unavailable", task_id=None, normalized=False)
    assert replayer.replay(item).outcome is ReplayOutcome.SKIPPED
    assert Analysis.get(item.analysis_id, consistent_read=True).status is AnalysisStatus.FAILED


def test_an_execution_that_cannot_start_leaves_the_failure_as_it_was(
    analyses_table: str, sfn: SFNClient, machine_arn: str
) -> None:
    # Given a failed analysis and a replayer pointed at a state machine that does not exist
    item = _failed(sfn, machine_arn, "provider_unavailable", task_id="task-7")
    broken = Replayer(sfn, machine_arn.rsplit(":", 1)[0] + ":missing-machine")

    # When it replays the analysis
    result = broken.replay(item)

    # Then it reports the failure and the item is FAILED with its code, task and announcement as before
    assert result.outcome is ReplayOutcome.START_FAILED
    stored = Analysis.get(item.analysis_id, consistent_read=True)
    assert stored.status is AnalysisStatus.FAILED
    assert (stored.error_code, stored.task_id, stored.announced_at) == (
        "provider_unavailable",
        "task-7",
        item.announced_at,
    )


def test_selection_takes_retryable_codes_unless_codes_are_named(
    replayer: Replayer, sfn: SFNClient, machine_arn: str
) -> None:
    # Given failures with a retryable code, a photo problem and an old retryable one
    before = utc_now()
    retryable = _failed(sfn, machine_arn, "provider_unavailable")
    photo = _failed(sfn, machine_arn, "error_no_face")

    def selected(selection: ReplaySelection) -> set[str]:
        ours = {retryable.analysis_id, photo.analysis_id}
        return {r.analysis_id for r in replayer.replay_all(selection, dry_run=True)} & ours

    # Then the default takes the retryable one only, --code takes exactly what it names, --since bounds the time
    assert selected(ReplaySelection()) == {retryable.analysis_id}
    assert selected(ReplaySelection(codes=frozenset({"error_no_face"}))) == {photo.analysis_id}
    assert selected(ReplaySelection(since=before - timedelta(seconds=1))) == {retryable.analysis_id}
    assert selected(ReplaySelection(since=utc_now() + timedelta(seconds=1))) == set()
