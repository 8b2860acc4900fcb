"""The rules that turn HTTP answers and transport failures into provider errors."""

from __future__ import annotations

import json

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError, ProtocolError

from skin_analysis.errors import ErrorCode
from skin_analysis.provider import (
    AnalysisRejected,
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
from skin_analysis.provider import errors as errors_module
from skin_analysis.provider.mapping import CallKind, error_for_response, error_for_transport, never_sent


def answer(status: int, body: object = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode() if body is not None else b"<Error/>"
    response.headers["x-request-id"] = "1234567890123456789"
    return response


@pytest.mark.parametrize(
    ("kind", "status", "body", "expected"),
    [
        (
            "create",
            400,
            {"status": 400, "error": "cannot mix HD and SD dst_actions", "error_code": "InvalidParameters"},
            InvalidRequest,
        ),
        ("create", 400, {"status": 400, "error": "x", "error_code": "CreditInsufficiency"}, InsufficientCredit),
        ("create", 400, {"status": 400, "error": "x", "error_code": "BadRequest"}, InvalidRequest),
        ("status", 400, {"status": 400, "error": "Invalid task ID"}, TaskExpired),
        ("delete", 400, {"status": 400, "error": "x", "error_code": "InvalidTaskId"}, TaskExpired),
        ("delete", 400, {"status": 400, "error": "x", "error_code": "OperationInvalid"}, InvalidRequest),
        ("status", 401, {"status": 401, "error": "Invalid API key"}, ProviderAuthError),
        (
            "credit",
            401,
            {"status": 401, "error": "Unauthorized", "error_code": "InvalidAccessToken"},
            ProviderAuthError,
        ),
        ("create", 429, {"status": 429, "error": "Too many requests"}, ProviderRateLimited),
        ("status", 429, {"status": 429, "error": "Too many requests"}, ProviderRateLimited),
        ("status", 500, {"status": 500, "error": "Task execution timed out"}, ProviderTaskTimeout),
        ("status", 502, None, ProviderUnavailable),
        ("file", 503, None, ProviderUnavailable),
        ("create", 500, {"status": 500, "error": "x", "error_code": "unknown_internal_error"}, SubmissionUncertain),
        ("create", 502, None, SubmissionUncertain),
        ("upload", 403, None, InvalidRequest),
        ("download", 403, None, ResultUnavailable),
        ("download", 404, None, ResultUnavailable),
        ("download", 500, None, ProviderUnavailable),
    ],
)
def test_http_answers(kind: CallKind, status: int, body: object, expected: type[ProviderError]) -> None:
    error = error_for_response(kind, answer(status, body))
    assert type(error) is expected
    assert error.status_code == status
    assert error.request_id == "1234567890123456789"
    assert "1234567890123456789" in str(error)


def refused() -> requests.ConnectionError:
    return requests.ConnectionError(MaxRetryError(None, "/", NewConnectionError(None, "refused")))  # type: ignore[arg-type]


def dns() -> requests.ConnectionError:
    return requests.ConnectionError(MaxRetryError(None, "/", NameResolutionError("h", None, OSError())))  # type: ignore[arg-type]


def dropped() -> requests.ConnectionError:
    return requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))


@pytest.mark.parametrize(
    ("error", "unsent"),
    [
        (refused(), True),
        (dns(), True),
        (requests.ConnectTimeout(), True),
        (requests.ReadTimeout(), False),
        (dropped(), False),
    ],
)
def test_only_provably_unsent_creates_are_retryable(error: requests.RequestException, unsent: bool) -> None:
    assert never_sent(error) is unsent
    mapped = error_for_transport("create", error)
    assert type(mapped) is (ProviderUnavailable if unsent else SubmissionUncertain)
    assert mapped.retryable is unsent


@pytest.mark.parametrize("kind", ["status", "delete", "file", "credit", "download"])
def test_transport_failures_of_other_calls_are_retryable(kind: CallKind) -> None:
    assert error_for_transport(kind, requests.ReadTimeout()).retryable


def test_every_error_class_has_a_docstring_and_a_code() -> None:
    expected = {
        ProviderRateLimited: (ErrorCode.PROVIDER_UNAVAILABLE, True),
        ProviderUnavailable: (ErrorCode.PROVIDER_UNAVAILABLE, True),
        ProviderAuthError: (ErrorCode.PROVIDER_AUTH_FAILED, False),
        InvalidRequest: (ErrorCode.INVALID_REQUEST, False),
        InsufficientCredit: (ErrorCode.INSUFFICIENT_CREDIT, False),
        TaskExpired: (ErrorCode.TASK_EXPIRED, False),
        ProviderTaskTimeout: (ErrorCode.PROVIDER_TASK_TIMEOUT, False),
        SubmissionUncertain: (ErrorCode.SUBMISSION_UNCERTAIN, False),
    }
    for cls, (code, retryable) in expected.items():
        error = cls("m")
        assert (error.code, error.retryable) == (code, retryable), cls
    for cls in vars(errors_module).values():
        if isinstance(cls, type) and issubclass(cls, ProviderError):
            assert cls.__doc__, cls
    rejected = AnalysisRejected("error_lighting_dark", "too dark", task_id="t")
    assert (rejected.code, rejected.retryable) == ("error_lighting_dark", False)
