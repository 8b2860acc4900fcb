"""Every failure the Perfect Corp client reports, one class per failure.

The state machine routes on the class name (the Lambda `errorType`), so names are contracts: add classes,
never rename them. Each class knows the `ErrorCode` it is stored as and whether calling again can help.
"""

from __future__ import annotations

from typing import ClassVar

from skin_analysis.errors import ErrorCode, SkinAnalysisError


class ProviderError(SkinAnalysisError):
    """Base of every error raised while talking to the provider."""

    error_code: ClassVar[ErrorCode] = ErrorCode.PROVIDER_UNAVAILABLE
    #: Whether the same call may simply be made again (after a backoff).
    default_retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        provider_code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.provider_code = provider_code
        self.request_id = request_id

    @property
    def code(self) -> str:
        """The error code stored on the analysis (an `ErrorCode`, or the engine's own code)."""
        return self.error_code.value

    @property
    def retryable(self) -> bool:
        """True when repeating the same call cannot do harm (nothing was processed or charged)."""
        return self.default_retryable

    def __str__(self) -> str:
        details = [
            f"{name}={value}"
            for name, value in (
                ("status", self.status_code),
                ("provider_code", self.provider_code),
                ("x-request-id", self.request_id),
            )
            if value is not None
        ]
        return f"{self.message} ({', '.join(details)})" if details else self.message


class ProviderRateLimited(ProviderError):
    """Raised on HTTP 429: the provider's 250-per-300-s window (per key or per IP) is full; nothing ran."""

    default_retryable = True


class ProviderUnavailable(ProviderError):
    """Raised on 5xx, connection failures and timeouts of calls that are safe to repeat.

    For a create it is raised only when the request provably never reached the provider (connection
    refused, DNS failure, connect timeout); anything else on a create is `SubmissionUncertain`.
    """

    default_retryable = True


class ProviderAuthError(ProviderError):
    """Raised on HTTP 401/403: the API key is missing, unknown, inactive or expired."""

    error_code = ErrorCode.PROVIDER_AUTH_FAILED


class InvalidRequest(ProviderError):
    """Raised on a 400 the provider gives for a malformed request (InvalidParameters, BadRequest, ...)."""

    error_code = ErrorCode.INVALID_REQUEST


class InvalidActions(ProviderError):
    """Raised before any call when `dst_actions` is empty, unknown or mixes SD and HD."""

    error_code = ErrorCode.INVALID_OPTIONS


class InsufficientCredit(ProviderError):
    """Raised on 400 CreditInsufficiency: the account has fewer units than the task costs."""

    error_code = ErrorCode.INSUFFICIENT_CREDIT


class TaskExpired(ProviderError):
    """Raised on 400 "Invalid task ID": the provider no longer knows the task (expired, deleted, unknown)."""

    error_code = ErrorCode.TASK_EXPIRED


class ProviderTaskTimeout(ProviderError):
    """Raised on the status GET's 500 "Task execution timed out": terminal, polling again cannot help."""

    error_code = ErrorCode.PROVIDER_TASK_TIMEOUT


class SubmissionUncertain(ProviderError):
    """Raised when a create may have reached the provider but no answer came back (read timeout, 5xx,
    connection dropped after sending). A retry may run, and charge, the task twice."""

    error_code = ErrorCode.SUBMISSION_UNCERTAIN


class ResultUnavailable(ProviderError):
    """Raised when a mask or ZIP URL answers 403/404: it expired (2 h) or the task was deleted."""

    default_retryable = True


class AnalysisRejected(ProviderError):
    """Raised for a task that ended in `error`: the engine refused the photo (`engine_code` says why)."""

    def __init__(self, engine_code: str, message: str, *, task_id: str) -> None:
        super().__init__(message, provider_code=engine_code)
        self.engine_code = engine_code
        self.task_id = task_id

    @property
    def code(self) -> str:
        """The engine's code verbatim (`error_src_face_too_small`, ...), as the design stores it."""
        return self.engine_code
