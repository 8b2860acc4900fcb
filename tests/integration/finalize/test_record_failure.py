"""Record Failure end to end: every way an analysis fails ends FAILED with its code and one Failed event."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest

from skin_analysis.errors import ErrorCode, describe_error
from skin_analysis.events import AnalysisFailed, EventPublisher
from skin_analysis.models import Analysis, AnalysisStatus, create_analysis, transition
from skin_analysis.provider import (
    AnalysisRejected,
    InsufficientCredit,
    InvalidActions,
    InvalidRequest,
    ProviderAuthError,
    ProviderRateLimited,
    ProviderTaskTimeout,
    ProviderUnavailable,
    SubmissionUncertain,
    TaskExpired,
    TaskState,
    TaskStatus,
)
from skin_analysis.ratelimit import RateBudgetExhausted
from skin_analysis_local.event_schemas import SCHEMAS_DIR, schema_file_name
from tests.unit.finalize.payloads import lambda_error

if TYPE_CHECKING:
    from tests.integration.finalize.conftest import FinalizeStack

FAILED = "Skin Analysis Failed"
TASK_ID = "SaGaqpDgKwFrVBgMpQMA3HY0LeqdT9_13W5TOD8_u_GPi6NqQ3dhlmN-6ntFwhzT"
LIMITS = {"submission_timeout_seconds": 86400}


def new_item(stack: FinalizeStack, status: AnalysisStatus = AnalysisStatus.SUBMITTED) -> str:
    """An analysis item walked up to `status` as the earlier steps leave it."""
    analysis_id = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    create_analysis(
        Analysis(
            analysis_id,
            status=AnalysisStatus.RECEIVED,
            quality="sd",
            dst_actions=["wrinkle", "pore"],
            source_bucket=stack.uploads_bucket,
            source_key=f"incoming/{analysis_id[:8]}.jpg",
            source_version="3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY",
            normalized_key=f"analyses/{analysis_id}/normalized.jpg",
        )
    )
    path = [AnalysisStatus.QUEUED, AnalysisStatus.SUBMITTED, AnalysisStatus.RUNNING]
    for step in path[: path.index(status) + 1] if status in path else []:
        transition(analysis_id, step, {"task_id": TASK_ID} if step is AnalysisStatus.SUBMITTED else None)
    return analysis_id


def rejected(code: str) -> Exception:
    status = TaskStatus(task_id=TASK_ID, state=TaskState.ERROR, engine_error=code, error_message="nope")
    try:
        status.raise_for_error()
    except AnalysisRejected as exc:
        return exc
    raise AssertionError("raise_for_error did not raise")


def one_failed_event(stack: FinalizeStack, analysis_id: str) -> AnalysisFailed:
    events = stack.events(analysis_id)
    assert [event["detail-type"] for event in events] == [FAILED]
    schema = json.loads((SCHEMAS_DIR / schema_file_name(FAILED)).read_text())
    jsonschema.validate(events[0], schema)
    return AnalysisFailed.model_validate(events[0]["detail"])


CAUGHT = [
    (TaskExpired("Invalid task ID", status_code=400, provider_code="InvalidTaskId"), ErrorCode.TASK_EXPIRED),
    (InvalidRequest("The provider refused the request: bad format", status_code=400), ErrorCode.INVALID_REQUEST),
    (InvalidActions("unknown action 'nose'"), ErrorCode.INVALID_OPTIONS),
    (InsufficientCredit("too few units", status_code=400), ErrorCode.INSUFFICIENT_CREDIT),
    (ProviderAuthError("The provider rejected the API key", status_code=401), ErrorCode.PROVIDER_AUTH_FAILED),
    (ProviderTaskTimeout("Task execution timed out", status_code=500), ErrorCode.PROVIDER_TASK_TIMEOUT),
    (SubmissionUncertain("The create request was sent but no answer came back"), ErrorCode.SUBMISSION_UNCERTAIN),
    (ProviderUnavailable("The provider failed (Bad Gateway)", status_code=502), ErrorCode.PROVIDER_UNAVAILABLE),
    (ProviderRateLimited("The provider's rate limit is full", status_code=429), ErrorCode.PROVIDER_UNAVAILABLE),
    (RateBudgetExhausted(retry_after=30.0), ErrorCode.PROVIDER_UNAVAILABLE),
    (rejected("error_src_face_too_small"), "error_src_face_too_small"),
]


@pytest.mark.parametrize(("exc", "code"), CAUGHT, ids=lambda v: type(v).__name__)
def test_a_caught_error_fails_the_analysis_with_its_code_and_one_failed_event(
    finalize_stack: FinalizeStack, exc: Exception, code: str
) -> None:
    # Given an analysis in flight and a Lambda error caught into $.error
    analysis_id = new_item(finalize_stack, AnalysisStatus.RUNNING)
    # When Record Failure runs
    answer = finalize_stack.run_record_failure(
        analysis_id, {"limits": LIMITS, "progress": {"task_id": TASK_ID}, "error": lambda_error(exc)}
    )
    # Then the item is FAILED with the code and the exception's message
    assert answer == {"status": "FAILED"}
    item = finalize_stack.item(analysis_id)
    assert (item.status, item.error_code, item.error_message) == (AnalysisStatus.FAILED, code, str(exc))
    # And exactly one Failed event, valid against the schema, carries the code and its fix
    detail = one_failed_event(finalize_stack, analysis_id)
    assert (detail.error.code, detail.error.message, detail.error.fix) == (code, str(exc), describe_error(code).fix)
    assert detail.source is not None
    assert (detail.source.key, detail.quality, detail.dst_actions) == (item.source_key, "sd", ["wrinkle", "pore"])


def test_the_submission_queue_timing_out_fails_a_queued_analysis_with_timeout(finalize_stack: FinalizeStack) -> None:
    analysis_id = new_item(finalize_stack, AnalysisStatus.QUEUED)
    finalize_stack.run_record_failure(analysis_id, {"limits": LIMITS, "error": {"Error": "States.Timeout"}})
    assert finalize_stack.item(analysis_id).error_code == ErrorCode.TIMEOUT
    assert one_failed_event(finalize_stack, analysis_id).error.code == ErrorCode.TIMEOUT


def test_a_submission_failure_sent_by_the_submitter_is_recorded(finalize_stack: FinalizeStack) -> None:
    # Given the submitter answered SendTaskFailure("SubmissionUncertain", <text>) under policy fail
    analysis_id = new_item(finalize_stack, AnalysisStatus.QUEUED)
    error = {"Error": "SubmissionUncertain", "Cause": "The create request was sent but no answer came back."}
    finalize_stack.run_record_failure(analysis_id, {"limits": LIMITS, "error": error})
    item = finalize_stack.item(analysis_id)
    assert (item.error_code, item.error_message) == (ErrorCode.SUBMISSION_UNCERTAIN, error["Cause"])


def test_an_engine_refusal_seen_by_check_status_is_stored_verbatim(finalize_stack: FinalizeStack) -> None:
    analysis_id = new_item(finalize_stack, AnalysisStatus.RUNNING)
    progress = {"task_id": TASK_ID, "failed": True, "error_code": "error_lighting_dark", "error_message": "dark"}
    finalize_stack.run_record_failure(analysis_id, {"limits": LIMITS, "progress": progress})
    item = finalize_stack.item(analysis_id)
    assert item.error_code == "error_lighting_dark"
    assert item.error_message == f"{describe_error('error_lighting_dark').meaning} The provider said: dark"
    assert one_failed_event(finalize_stack, analysis_id).error.fix == describe_error("error_lighting_dark").fix


def test_a_passed_deadline_is_timeout(finalize_stack: FinalizeStack) -> None:
    analysis_id = new_item(finalize_stack, AnalysisStatus.SUBMITTED)
    progress: dict[str, Any] = {"task_id": TASK_ID, "attempt": 120, "failed": False, "deadline_passed": True}
    finalize_stack.run_record_failure(analysis_id, {"limits": LIMITS, "progress": progress})
    assert finalize_stack.item(analysis_id).error_code == ErrorCode.TIMEOUT


def test_a_duplicate_failure_changes_nothing_and_publishes_nothing(finalize_stack: FinalizeStack) -> None:
    # Given a failure already recorded
    analysis_id = new_item(finalize_stack, AnalysisStatus.RUNNING)
    state = {"progress": {"task_id": TASK_ID}, "error": lambda_error(TaskExpired("Invalid task ID"))}
    finalize_stack.run_record_failure(analysis_id, state)
    before = finalize_stack.item(analysis_id)
    # When Record Failure runs again, even with another cause
    again = {"progress": {"task_id": TASK_ID}, "error": {"Error": "States.TaskFailed", "Cause": "later"}}
    answer = finalize_stack.run_record_failure(analysis_id, again)
    # Then the first failure stands and only one Failed event exists
    assert answer == {"status": "FAILED"}
    after = finalize_stack.item(analysis_id)
    assert (after.error_code, after.error_message, after.updated_at) == (
        before.error_code,
        before.error_message,
        before.updated_at,
    )
    one_failed_event(finalize_stack, analysis_id)


def test_a_failure_after_success_leaves_the_analysis_succeeded(finalize_stack: FinalizeStack) -> None:
    # Given an analysis that finalize already moved to SUCCEEDED (its Completed publish then failed)
    submitted = finalize_stack.submitted("sd", ("wrinkle",))
    finalize_stack.run_finalize(submitted.analysis_id, submitted.task_id)
    # When the Catch sends the publish error to Record Failure
    error = {"Error": "EventPublishFailed", "Cause": json.dumps({"errorMessage": "1 event(s) not accepted"})}
    answer = finalize_stack.run_record_failure(submitted.analysis_id, {"error": error})
    # Then the analysis stays SUCCEEDED and no Failed event goes out
    assert answer == {"status": "SUCCEEDED"}
    assert finalize_stack.item(submitted.analysis_id).status is AnalysisStatus.SUCCEEDED
    assert finalize_stack.events(submitted.analysis_id, FAILED) == []


def test_a_failed_event_refused_by_eventbridge_is_published_by_the_retry(
    finalize_stack: FinalizeStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a Record Failure whose publish fails after the item was moved to FAILED
    analysis_id = new_item(finalize_stack, AnalysisStatus.RUNNING)
    state = {"limits": LIMITS, "progress": {"task_id": TASK_ID}, "error": lambda_error(TaskExpired("gone"))}
    module = finalize_stack.record_failure
    monkeypatch.setattr(module, "publisher", EventPublisher("no-such-bus", max_attempts=1))
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever moto raises for a missing bus
        finalize_stack.run_record_failure(analysis_id, state)
    monkeypatch.undo()
    assert finalize_stack.item(analysis_id).status is AnalysisStatus.FAILED
    # When the state machine retries it, then the owed event goes out once, and a further retry adds nothing
    finalize_stack.run_record_failure(analysis_id, state)
    finalize_stack.run_record_failure(analysis_id, state)
    assert one_failed_event(finalize_stack, analysis_id).error.code == ErrorCode.TASK_EXPIRED
