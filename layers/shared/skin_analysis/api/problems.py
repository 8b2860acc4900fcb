"""Every error the partner API answers, mapped to HTTP in one place as RFC 9457 problem details.

Each handler turns one exception class into one status and one stable `code`; the bodies are `Problem` models,
so they appear in the OpenAPI document. Validation errors are 400 naming the field (Powertools' default 422 is
replaced), an oversized body is 413, and nothing unexpected leaves as anything but a 500 problem.
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final, Literal, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from skin_analysis.api.models import FieldProblem, Problem
from skin_analysis.errors import ErrorCode, SkinAnalysisError
from skin_analysis.partners import (
    AnalysisInProgress,
    AnalysisNotVisible,
    ErasureBlocked,
    InvalidAnalysisOptions,
    InvalidField,
    InvalidImageUrl,
    UnknownApiKey,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

logger = Logger(child=True)

PROBLEM_CONTENT_TYPE: Final = "application/problem+json"
#: Largest JSON body a route reads; a create request is a few hundred bytes.
MAX_BODY_BYTES: Final = 16 * 1024
_LOCATIONS: Final = ("body", "query", "path", "header")
_QUERY_FIELDS: Final = frozenset({"status", "limit", "next"})
IN_PROGRESS_RETRY_AFTER_SECONDS: Final = 30
_KEY_IN_PROGRESS_RETRY_AFTER_SECONDS: Final = 2


class ProblemCode(StrEnum):
    """Codes of HTTP-level problems (failures of an analysis itself use `skin_analysis.errors.ErrorCode`)."""

    INVALID_FIELD = "invalid_field"
    INVALID_IMAGE_URL = "invalid_image_url"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_KEY_IN_PROGRESS = "idempotency_key_in_progress"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    ANALYSIS_IN_PROGRESS = "analysis_in_progress"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    SERVICE_UNAVAILABLE = "service_unavailable"
    INTERNAL_ERROR = "internal_error"


class RequestBodyTooLarge(SkinAnalysisError):
    """Raised while reading a request body longer than the route accepts."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the request body is {size} bytes; the limit is {limit} bytes")
        self.size = size
        self.limit = limit


def bounded_json(limit: int = MAX_BODY_BYTES) -> Callable[[str], Any]:
    """A JSON body reader for the resolver that refuses bodies over `limit` bytes before parsing them."""

    def read(body: str) -> Any:
        size = len(body.encode())
        if size > limit:
            raise RequestBodyTooLarge(size, limit)
        return json.loads(body)

    return read


def problem(
    status: HTTPStatus,
    code: str,
    detail: str,
    *,
    fix: str | None = None,
    errors: Sequence[FieldProblem] = (),
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[str]:
    """A problem-details response."""
    body = Problem(
        title=status.phrase,
        status=status.value,
        detail=detail,
        code=code,
        fix=fix,
        field=errors[0].field if errors else None,
        errors=list(errors) or None,
        request_id=request_id,
    )
    return Response(
        status_code=status.value,
        content_type=PROBLEM_CONTENT_TYPE,
        body=body.model_dump_json(exclude_none=True),
        headers=dict(headers or {}),
    )


def field_problems(errors: Sequence[Any]) -> list[FieldProblem]:
    """Powertools/pydantic validation errors as named fields, without echoing the rejected input."""
    problems = []
    for error in errors:
        location, *path = error.get("loc", ("body",))
        if location not in _LOCATIONS:
            path, location = [location, *path], "body"
        if error.get("type") == "json_invalid":
            problems.append(FieldProblem(field="body", location="body", message="The body is not valid JSON."))
            continue
        name = ".".join(str(part) for part in path) or location
        message = str(error.get("msg") or error.get("type") or "invalid")
        problems.append(FieldProblem(field=name, location=cast("Literal['body']", location), message=message))
    return problems


def register_problem_handlers(app: APIGatewayRestResolver) -> None:
    """Map every error the routes can raise to its problem response on `app`."""
    mapper = _ProblemMapper(app)
    handlers: list[tuple[type[Exception], Callable[[Any], Response[str]]]] = [
        (RequestValidationError, mapper.invalid_request),
        (InvalidField, mapper.invalid_field),
        (RequestBodyTooLarge, mapper.too_large),
        (RequestUnsupportedContentType, mapper.unsupported),
        (UnknownApiKey, mapper.forbidden),
        (AnalysisNotVisible, mapper.not_found),
        (NotFoundError, mapper.not_found),
        (AnalysisInProgress, mapper.in_progress),
        (ErasureBlocked, mapper.blocked),
        (IdempotencyValidationError, mapper.key_reused),
        (IdempotencyAlreadyInProgressError, mapper.key_in_progress),
        (Exception, mapper.unexpected),
    ]
    for error_class, handler in handlers:
        app.exception_handler(error_class)(handler)


class _ProblemMapper:
    """One method per error class; each answers one status with one code."""

    def __init__(self, app: APIGatewayRestResolver) -> None:
        self._app = app

    def _request_id(self) -> str | None:
        try:
            return self._app.current_event.request_context.request_id
        except (KeyError, AttributeError):
            return None

    def invalid_request(self, error: RequestValidationError) -> Response[str]:
        errors = field_problems(error.errors())
        names = ", ".join(dict.fromkeys(problem.field for problem in errors))
        detail = f"Invalid {names}: {errors[0].message}" if errors else "The request is invalid."
        return problem(
            HTTPStatus.BAD_REQUEST, ProblemCode.INVALID_FIELD, detail, errors=errors, request_id=self._request_id()
        )

    def invalid_field(self, error: InvalidField) -> Response[str]:
        code: str = ProblemCode.INVALID_FIELD
        fix = None
        if isinstance(error, InvalidAnalysisOptions):
            code, fix = ErrorCode.INVALID_OPTIONS, ErrorCode.INVALID_OPTIONS.fix
        elif isinstance(error, InvalidImageUrl):
            code, fix = ProblemCode.INVALID_IMAGE_URL, "Send a public https URL, or leave image_url out and upload."
        location: Literal["body", "query"] = "query" if error.field in _QUERY_FIELDS else "body"
        errors = [FieldProblem(field=error.field, location=location, message=error.message)]
        detail = f"Invalid {error.field}: {error.message}"
        return problem(HTTPStatus.BAD_REQUEST, code, detail, fix=fix, errors=errors, request_id=self._request_id())

    def too_large(self, error: RequestBodyTooLarge) -> Response[str]:
        return problem(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            ProblemCode.PAYLOAD_TOO_LARGE,
            str(error),
            fix=f"Send at most {error.limit} bytes; photos go to the upload form, never in the request body.",
            request_id=self._request_id(),
        )

    def unsupported(self, error: RequestUnsupportedContentType) -> Response[str]:
        return problem(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            ProblemCode.UNSUPPORTED_MEDIA_TYPE,
            "The body must be JSON.",
            fix="Send Content-Type: application/json.",
            request_id=self._request_id(),
        )

    def forbidden(self, error: UnknownApiKey) -> Response[str]:
        logger.warning("request with an API key of no partner", extra={"reason": str(error)})
        return problem(
            HTTPStatus.FORBIDDEN,
            ProblemCode.FORBIDDEN,
            "This API key belongs to no partner.",
            fix="Ask the operator for a partner key (skin-analysis partner add).",
            request_id=self._request_id(),
        )

    def not_found(self, error: Exception) -> Response[str]:
        detail = str(error) if isinstance(error, AnalysisNotVisible) else "No such resource."
        return problem(HTTPStatus.NOT_FOUND, ProblemCode.NOT_FOUND, detail, request_id=self._request_id())

    def in_progress(self, error: AnalysisInProgress) -> Response[str]:
        return problem(
            HTTPStatus.CONFLICT,
            ProblemCode.ANALYSIS_IN_PROGRESS,
            str(error),
            fix="Retry the DELETE once GET shows SUCCEEDED or FAILED.",
            request_id=self._request_id(),
            headers={"Retry-After": str(IN_PROGRESS_RETRY_AFTER_SECONDS)},
        )

    def blocked(self, error: ErasureBlocked) -> Response[str]:
        return problem(
            HTTPStatus.SERVICE_UNAVAILABLE,
            ProblemCode.SERVICE_UNAVAILABLE,
            str(error),
            fix="Retry the DELETE after Retry-After seconds; nothing is lost in between.",
            request_id=self._request_id(),
            headers={"Retry-After": str(max(1, math.ceil(error.retry_after)))},
        )

    def key_reused(self, error: IdempotencyValidationError) -> Response[str]:
        return problem(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            ProblemCode.IDEMPOTENCY_KEY_REUSED,
            "This Idempotency-Key was already used with a different request body.",
            fix="Use a new Idempotency-Key for a different request; retry only with the exact same body.",
            request_id=self._request_id(),
        )

    def key_in_progress(self, error: IdempotencyAlreadyInProgressError) -> Response[str]:
        return problem(
            HTTPStatus.CONFLICT,
            ProblemCode.IDEMPOTENCY_KEY_IN_PROGRESS,
            "A request with this Idempotency-Key is still being served.",
            fix="Retry after Retry-After seconds; you will get that request's answer.",
            request_id=self._request_id(),
            headers={"Retry-After": str(_KEY_IN_PROGRESS_RETRY_AFTER_SECONDS)},
        )

    def unexpected(self, error: Exception) -> Response[str]:
        # Anything else is our bug or an AWS failure: logged with its traceback, answered without internals.
        logger.exception("request failed", extra={"error": type(error).__name__})
        return problem(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            ProblemCode.INTERNAL_ERROR,
            "The request failed on our side.",
            fix="Retry; if it keeps failing, contact the operator with the request_id.",
            request_id=self._request_id(),
        )


def problem_responses(*statuses: HTTPStatus) -> dict[int, OpenAPIResponse]:
    """OpenAPI entries for the problems a route can answer."""
    return {
        status.value: {
            "description": status.phrase,
            "content": {PROBLEM_CONTENT_TYPE: {"model": Problem}},
        }
        for status in statuses
    }
