"""Record Failure's input -> one error code and message, for every way the state machine gets there.

The payloads are shaped as Step Functions delivers them: a caught Lambda error arrives as
{"Error": <exception class name>, "Cause": <JSON string of the Lambda error>}, a SendTaskFailure as the
submitter's own error name and cause, a task timeout as States.Timeout with no cause.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from skin_analysis.errors import ENGINE_ERRORS, ErrorCode, describe_error
from skin_analysis.failures import (
    CAUGHT_ERRORS,
    DEFAULT_CODE,
    MAX_MESSAGE_LENGTH,
    UNKNOWN_ENGINE_CODE,
    FailureReason,
    failure_reason,
)
from skin_analysis.provider import (
    AnalysisRejected,
    InsufficientCredit,
    InvalidActions,
    InvalidRequest,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderTaskTimeout,
    ProviderUnavailable,
    ResultUnavailable,
    SubmissionUncertain,
    TaskExpired,
    TaskState,
    TaskStatus,
)
from skin_analysis.ratelimit import RateBudgetExhausted, RateLimitStoreUnavailable
from skin_analysis_local.template import PROJECT_ROOT
from tests.unit.finalize.payloads import lambda_error

ANALYSIS_ID = "9f2a6c1e0b7d4e3f8a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f"
TASK_ID = "SaGaqpDgKwFrVBgMpQMA3HY0LeqdT9_13W5TOD8_u_GPi6NqQ3dhlmN-6ntFwhzT"
LIMITS = {"submission_timeout_seconds": 86400}
RUNNING = {
    "task_id": TASK_ID,
    "attempt": 3,
    "delay_seconds": 10,
    "succeeded": False,
    "failed": False,
    "deadline_passed": False,
}


def after_check_status(error: dict[str, str]) -> dict[str, Any]:
    """The state after a caught error in Check Status or Finalize: the last progress is still there."""
    return {"analysis_id": ANALYSIS_ID, "limits": LIMITS, "progress": RUNNING, "error": error}


def in_submission(error: dict[str, str]) -> dict[str, Any]:
    """The state after Queue For Submission's Catch: no progress yet."""
    return {"analysis_id": ANALYSIS_ID, "limits": LIMITS, "error": error}


def rejected(code: str = "error_src_face_too_small", message: str | None = "face too small") -> AnalysisRejected:
    status = TaskStatus(task_id=TASK_ID, state=TaskState.ERROR, engine_error=code, error_message=message)
    with pytest.raises(AnalysisRejected) as raised:
        status.raise_for_error()
    return raised.value


# One real instance of every error a task can raise, as the client builds them.
PROVIDER_ERRORS: list[tuple[ProviderError | Exception, ErrorCode]] = [
    (TaskExpired("Invalid task ID", status_code=400, provider_code="InvalidTaskId"), ErrorCode.TASK_EXPIRED),
    (InvalidRequest("The provider refused the request: bad", status_code=400), ErrorCode.INVALID_REQUEST),
    (InvalidActions("unknown action 'nose'"), ErrorCode.INVALID_OPTIONS),
    (InsufficientCredit("too few units", status_code=400), ErrorCode.INSUFFICIENT_CREDIT),
    (ProviderAuthError("The provider rejected the API key", status_code=401), ErrorCode.PROVIDER_AUTH_FAILED),
    (ProviderTaskTimeout("Task execution timed out", status_code=500), ErrorCode.PROVIDER_TASK_TIMEOUT),
    (SubmissionUncertain("The create request was sent but no answer came back"), ErrorCode.SUBMISSION_UNCERTAIN),
    (ProviderUnavailable("The provider failed (Bad Gateway)", status_code=502), ErrorCode.PROVIDER_UNAVAILABLE),
    (ProviderRateLimited("The provider's rate limit is full", status_code=429), ErrorCode.PROVIDER_UNAVAILABLE),
    (ResultUnavailable("The result URL answered HTTP 403", status_code=403), ErrorCode.PROVIDER_UNAVAILABLE),
    (RateBudgetExhausted(retry_after=12.5), ErrorCode.PROVIDER_UNAVAILABLE),
    (RateLimitStoreUnavailable("throttled"), ErrorCode.PROVIDER_UNAVAILABLE),
]


@pytest.mark.parametrize(("exc", "code"), PROVIDER_ERRORS, ids=lambda v: type(v).__name__)
def test_a_caught_lambda_error_is_stored_with_its_code_and_the_exception_message(
    exc: Exception, code: ErrorCode
) -> None:
    # Given Check Status or Finalize raised the error and the Catch put it in $.error
    state = after_check_status(lambda_error(exc))
    # When Record Failure explains it
    reason = failure_reason(state)
    # Then the code is the class's and the message is what the exception said
    assert reason == FailureReason(code, str(exc))


@pytest.mark.parametrize(("exc", "code"), PROVIDER_ERRORS, ids=lambda v: type(v).__name__)
def test_a_submitter_send_task_failure_with_a_plain_text_cause_maps_the_same(exc: Exception, code: ErrorCode) -> None:
    # Given the submitter answered SendTaskFailure(error=<class name>, cause=<message>)
    state = in_submission({"Error": type(exc).__name__, "Cause": str(exc)})
    # Then the same code, and the cause text as the message
    assert failure_reason(state) == FailureReason(code, str(exc))


def test_every_provider_error_class_has_a_row_consistent_with_its_own_error_code() -> None:
    def subclasses(cls: type[ProviderError]) -> set[type[ProviderError]]:
        direct = set(cls.__subclasses__())
        return direct.union(*(subclasses(sub) for sub in direct))

    for cls in subclasses(ProviderError) | {ProviderError}:
        if cls is AnalysisRejected:
            assert cls.__name__ not in CAUGHT_ERRORS  # its code is the engine's, not a fixed one
            continue
        assert CAUGHT_ERRORS[cls.__name__] is cls.error_code, cls.__name__


def test_every_code_in_the_table_is_documented() -> None:
    for code in {*CAUGHT_ERRORS.values(), DEFAULT_CODE}:
        assert describe_error(code).fix


@pytest.mark.parametrize("engine_code", sorted(ENGINE_ERRORS))
def test_an_analysis_rejected_lambda_error_is_stored_with_the_engine_code_verbatim(engine_code: str) -> None:
    # Given Finalize's GET found the task in error and raised AnalysisRejected
    exc = rejected(engine_code, "the engine said no (really)")
    # When Record Failure explains it
    reason = failure_reason(after_check_status(lambda_error(exc)))
    # Then the engine code is recovered from the Lambda error document, and the message kept
    assert reason.code == engine_code
    assert reason.message == str(exc)


def test_an_engine_code_not_in_our_table_is_still_stored_verbatim() -> None:
    exc = rejected("error_brand_new_check", None)
    assert failure_reason(after_check_status(lambda_error(exc))).code == "error_brand_new_check"


def test_analysis_rejected_from_the_submitter_may_carry_the_code_in_a_json_cause() -> None:
    cause = json.dumps({"errorType": "AnalysisRejected", "errorMessage": "no face", "error_code": "error_no_face"})
    reason = failure_reason(in_submission({"Error": "AnalysisRejected", "Cause": cause}))
    assert reason == FailureReason("error_no_face", "no face")


def test_analysis_rejected_with_an_unreadable_cause_falls_back_to_the_unknown_engine_code() -> None:
    reason = failure_reason(after_check_status({"Error": "AnalysisRejected", "Cause": "something went wrong"}))
    assert reason == FailureReason(UNKNOWN_ENGINE_CODE, "something went wrong")


def test_analysis_rejected_without_any_cause_is_explained_from_the_code() -> None:
    reason = failure_reason(after_check_status({"Error": "AnalysisRejected"}))
    assert reason == FailureReason(UNKNOWN_ENGINE_CODE, describe_error(UNKNOWN_ENGINE_CODE).meaning)


def test_the_submission_queue_timing_out_is_our_timeout() -> None:
    # Given Queue For Submission's TimeoutSecondsPath ran out (Step Functions gives no cause)
    state = in_submission({"Error": "States.Timeout", "Cause": ""})
    # Then the analysis failed with `timeout`, and the message says where it waited
    reason = failure_reason(state)
    assert reason.code == ErrorCode.TIMEOUT
    assert "submission queue" in reason.message
    assert "States.Timeout" in reason.message


def test_a_timeout_after_submission_is_also_timeout_but_not_blamed_on_the_queue() -> None:
    reason = failure_reason(after_check_status({"Error": "States.Timeout", "Cause": "Task timed out"}))
    assert reason.code == ErrorCode.TIMEOUT
    assert "submission queue" not in reason.message
    assert reason.message.endswith("Task timed out")


def test_a_missed_heartbeat_is_timeout() -> None:
    assert failure_reason(in_submission({"Error": "States.HeartbeatTimeout"})).code == ErrorCode.TIMEOUT


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        ("States.TaskFailed", "The cause could not be determined because Lambda did not return an error type."),
        ("Lambda.Unknown", "The cause could not be determined because Lambda did not return an error type."),
        (
            "Sandbox.Timedout",
            json.dumps({"errorMessage": "RequestId: 1 Error: Task timed out after 120.00 seconds"}),
        ),
        ("Lambda.ServiceException", "Lambda was unable to decrypt the environment variables."),
        ("Lambda.TooManyRequestsException", "Rate Exceeded."),
        ("SQS.AmazonSQSException", "Access to the resource is denied."),
        ("DynamoDb.ResourceNotFoundException", "Requested resource not found"),
        ("EventPublishFailed", json.dumps({"errorMessage": "1 event(s) not accepted by EventBridge: x"})),
        ("KeyError", json.dumps({"errorMessage": "'task_id'", "errorType": "KeyError"})),
        ("ConfigurationError", json.dumps({"errorMessage": "FinalizeSettings is misconfigured: RESULTS_BUCKET"})),
    ],
)
def test_anything_else_is_the_documented_default_with_the_error_name_kept(error: str, cause: str) -> None:
    reason = failure_reason(after_check_status({"Error": error, "Cause": cause}))
    assert reason.code == DEFAULT_CODE == ErrorCode.PROVIDER_UNAVAILABLE
    assert reason.message.startswith(f"The step failed with {error}.")
    assert len(reason.message) > len(f"The step failed with {error}.")


def test_an_error_without_a_name_is_treated_as_a_failed_task() -> None:
    reason = failure_reason(after_check_status({"Cause": "boom"}))
    assert reason == FailureReason(DEFAULT_CODE, "The step failed with States.TaskFailed. boom")


@pytest.mark.parametrize("cause", [None, "", "   ", json.dumps({"errorType": "TaskExpired"})])
def test_a_known_error_without_a_usable_message_is_explained_by_its_code(cause: str | None) -> None:
    error: dict[str, Any] = {"Error": "TaskExpired"}
    if cause is not None:
        error["Cause"] = cause
    assert failure_reason(after_check_status(error)) == FailureReason(
        ErrorCode.TASK_EXPIRED, ErrorCode.TASK_EXPIRED.meaning
    )


def test_a_cause_that_is_json_but_not_an_object_is_kept_as_text() -> None:
    reason = failure_reason(after_check_status({"Error": "TaskExpired", "Cause": "[1, 2]"}))
    assert reason == FailureReason(ErrorCode.TASK_EXPIRED, "[1, 2]")


def test_a_caught_error_wins_over_the_last_progress() -> None:
    # Given Finalize failed after Check Status said succeeded (progress still says so)
    state = after_check_status(lambda_error(TaskExpired("Invalid task ID", status_code=400)))
    state["progress"] = {**RUNNING, "succeeded": True}
    # Then the caught error explains the failure
    assert failure_reason(state).code == ErrorCode.TASK_EXPIRED


@pytest.mark.parametrize("engine_code", ["error_lighting_dark", "error_src_face_out_of_bound", "exceed_max_filesize"])
def test_an_engine_failure_from_check_status_stores_the_engine_code_and_the_provider_message(engine_code: str) -> None:
    # Given Check Status saw the task in error and answered failed with the engine's code and message
    progress = {**RUNNING, "failed": True, "error_code": engine_code, "error_message": "the provider's words"}
    # When Record Failure explains it
    reason = failure_reason({"analysis_id": ANALYSIS_ID, "limits": LIMITS, "progress": progress})
    # Then the code is verbatim and the message explains it, quoting the provider
    assert reason.code == engine_code
    assert reason.message == f"{describe_error(engine_code).meaning} The provider said: the provider's words"


@pytest.mark.parametrize("error_code", [None, "", "not a code!", 42])
def test_an_engine_failure_without_a_usable_code_is_unknown_internal_error(error_code: object) -> None:
    progress = {**RUNNING, "failed": True, "error_code": error_code, "error_message": None}
    reason = failure_reason({"analysis_id": ANALYSIS_ID, "progress": progress})
    assert reason == FailureReason(UNKNOWN_ENGINE_CODE, describe_error(UNKNOWN_ENGINE_CODE).meaning)


def test_an_engine_failure_wins_over_a_passed_deadline() -> None:
    progress = {**RUNNING, "failed": True, "deadline_passed": True, "error_code": "error_no_face"}
    assert failure_reason({"analysis_id": ANALYSIS_ID, "progress": progress}).code == "error_no_face"


def test_a_passed_deadline_is_timeout_with_the_attempt_count() -> None:
    progress = {**RUNNING, "deadline_passed": True, "attempt": 41}
    reason = failure_reason({"analysis_id": ANALYSIS_ID, "progress": progress})
    assert reason == FailureReason(ErrorCode.TIMEOUT, f"{ErrorCode.TIMEOUT.meaning} Gave up after 41 status checks.")


@pytest.mark.parametrize(
    "state",
    [{"analysis_id": ANALYSIS_ID}, {"analysis_id": ANALYSIS_ID, "progress": RUNNING}, {"error": "not a dict"}, {}],
)
def test_no_recognisable_cause_is_the_default_code_saying_so(state: dict[str, Any]) -> None:
    reason = failure_reason(state)
    assert reason.code == DEFAULT_CODE
    assert "unknown" in reason.message


def test_signed_urls_lose_their_query_string_before_they_are_stored() -> None:
    # Given a download failure whose message quotes a signed result URL
    message = (
        "The provider could not be reached (ConnectionError: HTTPSConnectionPool(host='s3.example', port=443): "
        "Max retries exceeded with url: /results/abc/wrinkle.png?X-Amz-Signature=deadbeef&X-Amz-Expires=7200 "
        "(Caused by NewConnectionError))"
    )
    reason = failure_reason(after_check_status(lambda_error(ProviderUnavailable(message))))
    # Then the path survives for diagnosis but not the signature
    assert "/results/abc/wrinkle.png?…" in reason.message
    assert "deadbeef" not in reason.message
    assert "X-Amz" not in reason.message


def test_a_long_message_is_clipped() -> None:
    reason = failure_reason(after_check_status(lambda_error(InvalidRequest("x" * 5000))))
    assert len(reason.message) == MAX_MESSAGE_LENGTH
    assert reason.message.endswith("…")


SAMPLE_CODES: dict[str, str] = {
    "caught-error.json": ErrorCode.INSUFFICIENT_CREDIT,
    "engine-rejected.json": "error_src_face_too_small",
    "deadline-passed.json": ErrorCode.TIMEOUT,
    "submission-timeout.json": ErrorCode.TIMEOUT,
    "finalize-task-expired.json": ErrorCode.TASK_EXPIRED,
}
SAMPLES_DIR = PROJECT_ROOT / "events" / "record_failure"


def test_every_record_failure_sample_has_an_expected_code() -> None:
    assert {path.name for path in SAMPLES_DIR.glob("*.json")} == set(SAMPLE_CODES)


@pytest.mark.parametrize(("name", "code"), sorted(SAMPLE_CODES.items()))
def test_the_sample_events_are_explained(name: str, code: str) -> None:
    event = json.loads((SAMPLES_DIR / name).read_text())
    assert failure_reason(event["state"]).code == code
