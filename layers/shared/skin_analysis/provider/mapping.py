"""The rules that turn HTTP answers and transport failures into the provider error classes.

The one rule that matters for money: a create is only reported as safely retryable when the request provably
never left this process (connection refused, DNS failure, connect timeout) or the provider answered 429.
Anything else after sending may have started, and will charge, a task: `SubmissionUncertain`.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Literal

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from skin_analysis.provider.errors import (
    InsufficientCredit,
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

if TYPE_CHECKING:
    from collections.abc import Mapping

#: What a call does, which decides how its failures are classified.
CallKind = Literal["create", "status", "delete", "file", "credit", "upload", "download"]

REQUEST_ID_HEADER = "x-request-id"
TASK_TIMEOUT_MESSAGE = "Task execution timed out"
INVALID_TASK_ID_MESSAGE = "Invalid task ID"


def never_sent(error: requests.RequestException) -> bool:
    """True when the failure happened before any byte of the request reached the provider."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if not isinstance(error, requests.ConnectionError):
        return False
    reason: object = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    # NameResolutionError is a NewConnectionError: both fail while opening the socket.
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def error_for_transport(kind: CallKind, error: requests.RequestException) -> ProviderError:
    """Classify a timeout or connection failure of a call of `kind`."""
    if kind == "create" and not never_sent(error):
        return SubmissionUncertain(
            f"The create request was sent but no answer came back ({type(error).__name__}): the provider may "
            "have started (and will charge) the task. Follow the UncertainSubmitPolicy; do not blindly retry."
        )
    return ProviderUnavailable(
        f"The provider could not be reached ({type(error).__name__}: {error}); retry with backoff."
    )


def unexpected_answer(kind: CallKind, detail: object) -> ProviderError:
    """Classify a 2xx answer whose body is not what the provider documents."""
    if kind == "create":
        return SubmissionUncertain(
            f"The provider accepted the create but its answer was unreadable ({detail}): a task may exist "
            "and be charged. Follow the UncertainSubmitPolicy; do not blindly retry."
        )
    return ProviderUnavailable(f"The provider sent an unexpected answer ({detail}); retry, report if it repeats.")


def body_of(response: requests.Response) -> Mapping[str, Any]:
    """The JSON object of a response, or an empty mapping when the body is not a JSON object."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def error_for_response(kind: CallKind, response: requests.Response) -> ProviderError:
    """Classify a non-2xx answer to a call of `kind`."""
    body = body_of(response)
    message = str(body.get("error") or response.reason or "no message")
    code = body.get("error_code")
    details: dict[str, Any] = {
        "status_code": response.status_code,
        "provider_code": code if isinstance(code, str) else None,
        "request_id": response.headers.get(REQUEST_ID_HEADER),
    }
    status = response.status_code
    if kind in ("upload", "download"):
        return _transfer_error(kind, status, message, details)
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return ProviderRateLimited(
            "The provider's rate limit (250 requests per 300 s per key and per IP) is full; nothing was "
            "processed. Wait and retry; if this repeats, lower the limiter budget.",
            **details,
        )
    if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
        return ProviderAuthError(
            f"The provider rejected the API key: {message}. Put a valid, active key in the provider secret.",
            **details,
        )
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return _server_error(kind, message, details)
    return _client_error(code, message, details)


def _client_error(code: object, message: str, details: dict[str, Any]) -> ProviderError:
    if code == "CreditInsufficiency":
        return InsufficientCredit(
            f"The provider account has too few units: {message}. Top up units in the provider console.",
            **details,
        )
    if code == "InvalidTaskId" or message == INVALID_TASK_ID_MESSAGE:
        return TaskExpired(
            "The provider no longer knows this task (Invalid task ID): it expired, was deleted or was never "
            "ours. Submit the photo again.",
            **details,
        )
    return InvalidRequest(
        f"The provider refused the request: {message}. Fix the request; repeating it will fail the same way.",
        **details,
    )


def _server_error(kind: CallKind, message: str, details: dict[str, Any]) -> ProviderError:
    if kind == "status" and message == TASK_TIMEOUT_MESSAGE:
        return ProviderTaskTimeout(
            "The provider gave up on this task (Task execution timed out); it is terminal. Submit again later.",
            **details,
        )
    if kind == "create":
        return SubmissionUncertain(
            f"The provider failed after receiving the create ({message}): a task may exist and be charged. "
            "Follow the UncertainSubmitPolicy; do not blindly retry.",
            **details,
        )
    return ProviderUnavailable(f"The provider failed ({message}); retry with backoff.", **details)


def _transfer_error(kind: CallKind, status: int, message: str, details: dict[str, Any]) -> ProviderError:
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return ProviderUnavailable(f"The storage host failed the {kind} ({message}); retry.", **details)
    if kind == "upload":
        return InvalidRequest(
            f"The presigned upload was refused (HTTP {status}): the headers differ from the File API's or "
            "the URL expired. Request a new upload slot and PUT with exactly its headers.",
            **details,
        )
    return ResultUnavailable(
        f"The result URL answered HTTP {status}: it expired (2 h) or the task was deleted. GET the task "
        "status again for fresh URLs.",
        **details,
    )
