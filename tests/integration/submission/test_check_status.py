"""Check Status: one GET per wake-up, RUNNING on the first running answer, and where the loop goes next."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from skin_analysis.models import Analysis, AnalysisStatus, utc_now
from skin_analysis.provider import TaskExpired
from tests.helpers import LambdaContextStandIn
from tests.integration.submission.conftest import WEBHOOK_GRACE_SECONDS

if TYPE_CHECKING:
    from tests.integration.submission.conftest import SubmissionStack


def _submitted(stack: SubmissionStack) -> tuple[str, dict[str, Any]]:
    """A submitted analysis and the progress its execution carries into the first check."""
    analysis_id = stack.queued_analysis()
    stack.start(analysis_id)
    stack.handler("submitter").lambda_handler(stack.sqs_event(stack.next_message()), LambdaContextStandIn())
    task_id = Analysis.get(analysis_id, consistent_read=True).task_id
    return analysis_id, {"task_id": task_id, "attempt": 0, "delay_seconds": WEBHOOK_GRACE_SECONDS}


def _check(stack: SubmissionStack, analysis_id: str, progress: dict[str, Any], **env: str) -> dict[str, Any]:
    handler = stack.handler("check_status", **env)
    result: dict[str, Any] = handler.lambda_handler(
        {"analysis_id": analysis_id, "progress": progress}, LambdaContextStandIn()
    )
    return result


def test_a_running_task_moves_the_item_to_running_and_schedules_the_next_check(
    submission_stack: SubmissionStack,
) -> None:
    stack = submission_stack
    stack.simulator.configure(delay=60)
    analysis_id, progress = _submitted(stack)
    # A webhook seen while the task still ran must not make the next wait return at once
    Analysis(analysis_id).update(actions=[Analysis.webhook_at.set(utc_now())])
    first = _check(stack, analysis_id, progress, POLL_INITIAL_DELAY_SECONDS="5", POLL_MAX_DELAY_SECONDS="60")
    assert first == {
        "task_id": progress["task_id"],
        "attempt": 1,
        "delay_seconds": 5,
        "succeeded": False,
        "failed": False,
        "deadline_passed": False,
        "error_code": None,
        "error_message": None,
    }
    item = Analysis.get(analysis_id, consistent_read=True)
    assert item.status is AnalysisStatus.RUNNING
    assert item.webhook_at is None
    second = _check(stack, analysis_id, first)
    assert (second["attempt"], second["delay_seconds"]) == (2, 10)


def test_the_deadline_and_the_attempt_limit_end_the_loop(submission_stack: SubmissionStack) -> None:
    stack = submission_stack
    stack.simulator.configure(delay=600)
    analysis_id, progress = _submitted(stack)
    # Within the deadline and the attempts: the loop goes on
    assert _check(stack, analysis_id, progress, ANALYSIS_DEADLINE_SECONDS="3600")["deadline_passed"] is False
    # The last allowed attempt ends it
    assert _check(stack, analysis_id, {**progress, "attempt": 9}, MAX_POLL_ATTEMPTS="10")["deadline_passed"] is True
    # So does a submission older than the deadline
    Analysis(analysis_id).update(actions=[Analysis.submit_started_at.set(utc_now() - timedelta(hours=2))])
    assert _check(stack, analysis_id, progress, ANALYSIS_DEADLINE_SECONDS="3600")["deadline_passed"] is True


def test_a_finished_task_is_reported_as_succeeded(submission_stack: SubmissionStack) -> None:
    stack = submission_stack
    analysis_id, progress = _submitted(stack)
    result = _check(stack, analysis_id, progress)
    assert (result["succeeded"], result["failed"], result["attempt"]) == (True, False, 1)
    assert stack.simulator.calls("task.status") == 1


def test_an_engine_error_is_reported_with_its_code(submission_stack: SubmissionStack) -> None:
    stack = submission_stack
    analysis_id = stack.queued_analysis()
    photo = stack.s3.get_object(Bucket=stack.results_bucket, Key=f"analyses/{analysis_id}/normalized.jpg")
    stack.simulator.engine_error("error_src_face_too_small", sha256=hashlib.sha256(photo["Body"].read()).hexdigest())
    stack.start(analysis_id)
    stack.handler("submitter").lambda_handler(stack.sqs_event(stack.next_message()), LambdaContextStandIn())
    task_id = Analysis.get(analysis_id, consistent_read=True).task_id
    result = _check(stack, analysis_id, {"task_id": task_id, "attempt": 0, "delay_seconds": 20})
    assert (result["failed"], result["error_code"]) == (True, "error_src_face_too_small")


def test_an_expired_task_raises_task_expired_for_the_state_machine(submission_stack: SubmissionStack) -> None:
    stack = submission_stack
    stack.simulator.configure(delay=60)
    analysis_id, progress = _submitted(stack)
    stack.simulator.expire_task(progress["task_id"])
    with pytest.raises(TaskExpired):
        _check(stack, analysis_id, progress)


def test_a_verified_success_webhook_on_the_item_spares_the_status_get(submission_stack: SubmissionStack) -> None:
    stack = submission_stack
    # Given a webhook that reported success before the wait stored its token (the wait then checks at once)
    analysis_id, progress = _submitted(stack)
    Analysis(analysis_id).update(actions=[Analysis.webhook_at.set(utc_now()), Analysis.webhook_status.set("success")])
    gets_before = stack.simulator.calls("task.status")

    # When Check Status runs
    result = _check(stack, analysis_id, progress)

    # Then it routes to Finalize without a GET: Finalize's own GET is the analysis's second and last call
    assert (result["succeeded"], result["failed"], result["attempt"]) == (True, False, 1)
    assert stack.simulator.calls("task.status") == gets_before


@pytest.mark.parametrize("reported", ["error", None])
def test_any_other_webhook_report_is_checked_with_a_get(
    submission_stack: SubmissionStack, reported: str | None
) -> None:
    stack = submission_stack
    stack.simulator.configure(delay=60)
    analysis_id, progress = _submitted(stack)
    Analysis(analysis_id).update(actions=[Analysis.webhook_at.set(utc_now())])
    if reported:
        Analysis(analysis_id).update(actions=[Analysis.webhook_status.set(reported)])
    gets_before = stack.simulator.calls("task.status")

    result = _check(stack, analysis_id, progress)

    # The GET decides (the task still runs), and the re-arm forgets the report with webhook_at
    assert stack.simulator.calls("task.status") == gets_before + 1
    assert result["succeeded"] is False
    item = Analysis.get(analysis_id, consistent_read=True)
    assert item.webhook_at is None
    assert item.webhook_status is None
