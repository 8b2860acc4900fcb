"""The submitter: one provider task per queued analysis, answered to the waiting execution, never charged twice."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from skin_analysis.models import Analysis, AnalysisStatus, TaskIndexEntry
from tests.helpers import LambdaContextStandIn
from tests.integration.submission.conftest import WEBHOOK_GRACE_SECONDS

if TYPE_CHECKING:
    from tests.integration.submission.conftest import SubmissionStack


def _submit(stack: SubmissionStack, message: dict, **overrides: str) -> list[str]:  # type: ignore[type-arg]
    """Run the submitter on one message; the ids it reported as failed (to come back later)."""
    handler = stack.handler("submitter", **overrides)
    response = handler.lambda_handler(stack.sqs_event(message), LambdaContextStandIn())
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def test_a_queued_analysis_is_submitted_and_its_execution_resumes(submission_stack: SubmissionStack) -> None:
    # Given a queued analysis whose execution waits in Queue For Submission
    stack = submission_stack
    analysis_id = stack.queued_analysis()
    execution = stack.start(analysis_id)
    # When the submitter takes its message
    assert _submit(stack, stack.next_message()) == []
    # Then the execution resumes with the task id, the first attempt and the webhook grace as its delay
    finished = stack.execution(execution)
    assert finished["status"] == "SUCCEEDED"
    progress = json.loads(finished["output"])["progress"]
    item = Analysis.get(analysis_id, consistent_read=True)
    assert progress == {"task_id": item.task_id, "attempt": 0, "delay_seconds": WEBHOOK_GRACE_SECONDS}
    # And the item is SUBMITTED with its task id, indexed for the webhook, after one create of one photo
    assert item.status is AnalysisStatus.SUBMITTED
    assert item.submit_started_at is not None
    assert TaskIndexEntry.get(item.task_id, consistent_read=True).analysis_id == analysis_id
    assert stack.simulator.calls("task.create") == 1
    assert list(stack.simulator.tasks_by_source().values()) == [1]


def test_a_redelivered_message_answers_again_without_a_second_task(submission_stack: SubmissionStack) -> None:
    stack = submission_stack
    analysis_id = stack.queued_analysis()
    stack.start(analysis_id)
    message = stack.next_message()
    assert _submit(stack, message) == []
    # When SQS delivers the same message again (at-least-once), then nothing is created twice
    assert _submit(stack, message) == []
    assert stack.simulator.calls("task.create") == 1
    assert Analysis.get(analysis_id, consistent_read=True).status is AnalysisStatus.SUBMITTED


def test_the_file_api_route_uploads_then_creates(submission_stack: SubmissionStack) -> None:
    stack = submission_stack
    analysis_id = stack.queued_analysis()
    execution = stack.start(analysis_id)
    assert _submit(stack, stack.next_message(), SUBMIT_VIA="file_api") == []
    assert stack.execution(execution)["status"] == "SUCCEEDED"
    assert (stack.simulator.calls("file.create"), stack.simulator.calls("task.create")) == (1, 1)


def test_a_refused_create_fails_the_wait_with_the_error_name(submission_stack: SubmissionStack) -> None:
    # Given a stack whose API key the provider does not know
    stack = submission_stack
    unknown_key = stack.secret("sk-revoked")
    analysis_id = stack.queued_analysis()
    execution = stack.start(analysis_id)
    # When the submitter tries
    assert _submit(stack, stack.next_message(), PROVIDER_API_KEY_SECRET_ID=unknown_key) == []
    # Then the execution fails with ProviderAuthError (moto drops SendTaskFailure's cause, so only the error
    # name is asserted: it alone decides the code); nothing is marked in flight
    finished = stack.execution(execution)
    assert (finished["status"], finished["error"]) == ("FAILED", "ProviderAuthError")
    assert Analysis.get(analysis_id, consistent_read=True).submit_started_at is None
    assert stack.simulator.tasks_by_source() == {}


def test_a_5xx_before_processing_comes_back_and_creates_once(submission_stack: SubmissionStack) -> None:
    # Given the provider failing the next create with a 500 without running it
    stack = submission_stack
    analysis_id = stack.queued_analysis()
    execution = stack.start(analysis_id)
    message = stack.next_message()
    stack.simulator.server_errors(routes=["task.create"], times=1)
    # When the submitter tries: the 500 after sending is uncertain; policy retry returns the message once
    assert _submit(stack, message) == [message["MessageId"]]
    assert Analysis.get(analysis_id, consistent_read=True).uncertain_submits == 1
    # And when it comes back it is created and answered
    assert _submit(stack, message) == []
    assert stack.execution(execution)["status"] == "SUCCEEDED"
    assert stack.simulator.calls("task.create") == 2
    assert sum(stack.simulator.tasks_by_source().values()) == 1


def test_a_dropped_create_under_retry_resubmits_once_and_counts_it(submission_stack: SubmissionStack) -> None:
    # Given the provider makes the task but the answer is lost
    stack = submission_stack
    analysis_id = stack.queued_analysis()
    execution = stack.start(analysis_id)
    message = stack.next_message()
    stack.simulator.drop_responses(routes=["task.create"], times=1)
    # When the submitter tries twice (retry policy)
    assert _submit(stack, message) == [message["MessageId"]]
    assert _submit(stack, message) == []
    # Then the analysis is submitted, the uncertainty counted, and the lost task is visible as a second task
    assert stack.execution(execution)["status"] == "SUCCEEDED"
    item = Analysis.get(analysis_id, consistent_read=True)
    assert (item.status, item.uncertain_submits) == (AnalysisStatus.SUBMITTED, 1)
    assert list(stack.simulator.tasks_by_source().values()) == [2]


def test_a_dropped_create_under_fail_fails_with_submission_uncertain(submission_stack: SubmissionStack) -> None:
    stack = submission_stack
    analysis_id = stack.queued_analysis()
    execution = stack.start(analysis_id)
    stack.simulator.drop_responses(routes=["task.create"], times=1)
    assert _submit(stack, stack.next_message(), UNCERTAIN_SUBMIT_POLICY="fail") == []
    finished = stack.execution(execution)
    assert (finished["status"], finished["error"]) == ("FAILED", "SubmissionUncertain")
    assert Analysis.get(analysis_id, consistent_read=True).uncertain_submits == 1
    assert list(stack.simulator.tasks_by_source().values()) == [1]


def test_a_deferred_message_comes_back_after_the_retry_delay_not_the_visibility_timeout(
    submission_stack: SubmissionStack,
) -> None:
    # Given a submission deferred by a 429 (the queue's own visibility timeout is 30 s, the retry delay 1 s)
    stack = submission_stack
    stack.start(stack.queued_analysis())
    message = stack.next_message()
    stack.simulator.rate_limit_storm(routes=["task.create"], times=1)
    assert _submit(stack, message) == [message["MessageId"]]
    # Then the same message is delivered again within a few seconds
    again = stack.next_message()
    assert again["MessageId"] == message["MessageId"]
    assert _submit(stack, again) == []


def test_a_429_comes_back_without_counting_an_uncertain_submit(submission_stack: SubmissionStack) -> None:
    stack = submission_stack
    analysis_id = stack.queued_analysis()
    execution = stack.start(analysis_id)
    message = stack.next_message()
    stack.simulator.rate_limit_storm(routes=["task.create"], times=1)
    assert _submit(stack, message) == [message["MessageId"]]
    item = Analysis.get(analysis_id, consistent_read=True)
    assert item.uncertain_submits == 0
    assert item.submit_started_at is None
    assert _submit(stack, message) == []
    assert stack.execution(execution)["status"] == "SUCCEEDED"
    assert sum(stack.simulator.tasks_by_source().values()) == 1


def test_an_analysis_no_longer_queued_is_abandoned_without_a_call(submission_stack: SubmissionStack) -> None:
    stack = submission_stack
    analysis_id = stack.queued_analysis()
    execution = stack.start(analysis_id)
    message = stack.next_message()
    Analysis(analysis_id).update(actions=[Analysis.status.set(AnalysisStatus.FAILED)])
    assert _submit(stack, message) == []
    assert stack.execution(execution)["error"] == "AnalysisNotQueued"
    assert stack.simulator.calls("task.create") == 0


def test_a_malformed_message_stays_for_the_dead_letter_queue(submission_stack: SubmissionStack) -> None:
    stack = submission_stack
    message = {"MessageId": "m-1", "ReceiptHandle": "r", "Body": '{"analysis_id": ""}', "MD5OfBody": "x"}
    assert _submit(stack, message) == ["m-1"]
