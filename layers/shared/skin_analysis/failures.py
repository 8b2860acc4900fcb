"""What ended an analysis, read from the state the Record Failure step receives, as one error code and message.

The state machine reaches Record Failure in three ways:

- a Catch put the error in `$.error` = {"Error": <name>, "Cause": <text>}. For a Lambda task the name is the
  exception's class name and the cause a JSON string {"errorMessage", "errorType", "requestId", "stackTrace"};
  for the submission's SendTaskFailure both are whatever the submitter sent; for a timeout `States.Timeout`;
- Check Status answered `failed` (the engine refused the photo): `$.progress.error_code` holds the engine code
  verbatim and `$.progress.error_message` the provider's message;
- Check Status answered `deadline_passed`: our own deadline, `timeout`.

`CAUGHT_ERRORS` is the table of error names; anything not in it (a Lambda crash, `States.TaskFailed`, an SDK
error after its retries) is recorded as `provider_unavailable`, a code `skin-analysis replay` re-drives, with
the error's name and message kept in `error_message` so the cause stays visible.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from skin_analysis.errors import ErrorCode, describe_error
from skin_analysis.models import Analysis, AnalysisNotFound, AnalysisStatus
from skin_analysis.provider.errors import (
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
)
from skin_analysis.ratelimit import RateBudgetExhausted, RateLimitStoreUnavailable
from skin_analysis.record_failure import record_failure

if TYPE_CHECKING:
    from collections.abc import Mapping

    from skin_analysis.events import EventPublisher

#: The code of a failure nothing more specific explains (retryable: `replay` re-drives it).
DEFAULT_CODE: Final = ErrorCode.PROVIDER_UNAVAILABLE
#: The engine code stored when the provider refused a task without saying why (as the client's own default).
UNKNOWN_ENGINE_CODE: Final = "unknown_internal_error"
#: Step Functions' own error names for a task that ran out of time or missed its heartbeat.
STATES_TIMEOUT: Final = "States.Timeout"
STATES_HEARTBEAT_TIMEOUT: Final = "States.HeartbeatTimeout"
#: Longest stored message: enough for the provider's text and request id, never a stack trace.
MAX_MESSAGE_LENGTH: Final = 1000

# Error name (exception class name, or Step Functions' own) -> code. AnalysisRejected carries its own code.
CAUGHT_ERRORS: Final[dict[str, ErrorCode]] = {
    TaskExpired.__name__: ErrorCode.TASK_EXPIRED,
    InvalidRequest.__name__: ErrorCode.INVALID_REQUEST,
    InvalidActions.__name__: ErrorCode.INVALID_OPTIONS,
    InsufficientCredit.__name__: ErrorCode.INSUFFICIENT_CREDIT,
    ProviderAuthError.__name__: ErrorCode.PROVIDER_AUTH_FAILED,
    ProviderTaskTimeout.__name__: ErrorCode.PROVIDER_TASK_TIMEOUT,
    SubmissionUncertain.__name__: ErrorCode.SUBMISSION_UNCERTAIN,
    # Retried with backoff by the state machine first; reaching Record Failure means every retry failed.
    ProviderUnavailable.__name__: ErrorCode.PROVIDER_UNAVAILABLE,
    ProviderRateLimited.__name__: ErrorCode.PROVIDER_UNAVAILABLE,
    RateBudgetExhausted.__name__: ErrorCode.PROVIDER_UNAVAILABLE,
    RateLimitStoreUnavailable.__name__: ErrorCode.PROVIDER_UNAVAILABLE,
    # A mask or ZIP URL answered 403/404 right after a fresh status GET: the provider lost the result.
    ResultUnavailable.__name__: ErrorCode.PROVIDER_UNAVAILABLE,
    ProviderError.__name__: ErrorCode.PROVIDER_UNAVAILABLE,
    STATES_TIMEOUT: ErrorCode.TIMEOUT,
    STATES_HEARTBEAT_TIMEOUT: ErrorCode.TIMEOUT,
}

# str(AnalysisRejected) ends "(provider_code=<engine code>)"; its message says "... with <engine code>".
_PROVIDER_CODE = re.compile(r"provider_code=([A-Za-z0-9_]+)")
_REFUSED_WITH = re.compile(r"refused task \S+ with ([A-Za-z0-9_]+)")
_ENGINE_CODE = re.compile(r"^[A-Za-z0-9_]{1,100}$")
# Signed result and upload URLs must not end up in the item or the event: keep the path, drop the query.
_QUERY_STRING = re.compile(r"(/[^\s?'\"]*)\?[^\s'\")]+")


@dataclass(frozen=True, slots=True)
class FailureReason:
    """The `error_code` and `error_message` to store on a failed analysis."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class FailureOutcome:
    """What Record Failure did: the item's status afterwards and whether this call recorded the failure."""

    analysis_id: str
    status: AnalysisStatus
    reason: FailureReason
    #: False when the analysis had already ended (SUCCEEDED or FAILED): nothing changed, nothing published.
    recorded: bool


def fail_analysis(analysis_id: str, state: Mapping[str, Any], publisher: EventPublisher) -> FailureOutcome:
    """Explain `state`, move the analysis to FAILED with that code and publish `Skin Analysis Failed`, once."""
    reason = failure_reason(state)
    if record_failure(analysis_id, reason.code, reason.message, publisher) is not None:
        return FailureOutcome(analysis_id, AnalysisStatus.FAILED, reason, recorded=True)
    try:
        current = Analysis.get(analysis_id, consistent_read=True, attributes_to_get=["status"]).status
    except Analysis.DoesNotExist as exc:
        raise AnalysisNotFound(analysis_id) from exc
    return FailureOutcome(analysis_id, current, reason, recorded=False)


def failure_reason(state: Mapping[str, Any]) -> FailureReason:
    """Explain the state Record Failure received (`$`): a caught error first, then Check Status's verdict."""
    error = state.get("error")
    if isinstance(error, dict):
        return _caught(error, submitted="progress" in state)
    progress = state.get("progress")
    if isinstance(progress, dict):
        if progress.get("failed") is True:
            return _engine_refusal(progress)
        if progress.get("deadline_passed") is True:
            attempts = progress.get("attempt")
            after = f" Gave up after {attempts} status checks." if isinstance(attempts, int) else ""
            return FailureReason(ErrorCode.TIMEOUT, ErrorCode.TIMEOUT.meaning + after)
    return FailureReason(
        DEFAULT_CODE, "Record Failure was reached without an error or a failed status; the cause is unknown."
    )


def _caught(error: Mapping[str, Any], *, submitted: bool) -> FailureReason:
    name = str(error.get("Error") or "States.TaskFailed")
    cause = _parse_cause(error.get("Cause"))
    detail = cause.message
    if name == AnalysisRejected.__name__:
        code = cause.code or _engine_code_in(detail) or UNKNOWN_ENGINE_CODE
        return FailureReason(code, _clip(detail or describe_error(code).meaning))
    known = CAUGHT_ERRORS.get(name)
    if known is ErrorCode.TIMEOUT:
        where = (
            "while the analysis was in progress"
            if submitted
            else "waiting in the submission queue (SubmissionTimeoutSeconds)"
        )
        return FailureReason(known, _clip(f"{known.meaning} Timed out {where} ({name}).{_suffix(detail)}"))
    if known is not None:
        return FailureReason(known, _clip(detail or known.meaning))
    return FailureReason(DEFAULT_CODE, _clip(f"The step failed with {name}.{_suffix(detail)}"))


@dataclass(frozen=True, slots=True)
class _Cause:
    message: str
    code: str | None = None


def _parse_cause(raw: object) -> _Cause:
    """A Lambda error's `errorMessage` (and a `code`/`error_code` if the sender added one), or the plain text."""
    if not isinstance(raw, str) or not raw.strip():
        return _Cause("")
    try:
        document = json.loads(raw)
    except ValueError:
        return _Cause(raw.strip())
    if not isinstance(document, dict):
        return _Cause(raw.strip())
    message = document.get("errorMessage") or document.get("message") or document.get("error_message")
    code = document.get("error_code") or document.get("code")
    return _Cause(
        message.strip() if isinstance(message, str) else "",
        code if isinstance(code, str) and _ENGINE_CODE.match(code) else None,
    )


def _engine_code_in(message: str) -> str | None:
    for pattern in (_PROVIDER_CODE, _REFUSED_WITH):
        found = pattern.findall(message)
        if found:
            return str(found[-1])
    return None


def _engine_refusal(progress: Mapping[str, Any]) -> FailureReason:
    raw_code = progress.get("error_code")
    code = raw_code if isinstance(raw_code, str) and _ENGINE_CODE.match(raw_code) else UNKNOWN_ENGINE_CODE
    said = progress.get("error_message")
    provider_said = f" The provider said: {said}" if isinstance(said, str) and said.strip() else ""
    return FailureReason(code, _clip(describe_error(code).meaning + provider_said))


def _suffix(detail: str) -> str:
    return f" {detail}" if detail else ""


def _clip(message: str) -> str:
    message = _QUERY_STRING.sub(r"\1?…", message)
    return message if len(message) <= MAX_MESSAGE_LENGTH else message[: MAX_MESSAGE_LENGTH - 1] + "…"
