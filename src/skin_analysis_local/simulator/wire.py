"""Requests and responses as plain values, and the provider's and S3's error body shapes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape


class BadJson(ValueError):
    """The request body is not the JSON object the endpoint needs."""


@dataclass
class Request:
    """One HTTP request as the pipeline sees it (header names lower-cased)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    client_ip: str

    def json_object(self) -> dict[str, Any]:
        """The body parsed as a JSON object."""
        try:
            value = json.loads(self.body or b"null")
        except ValueError as error:
            raise BadJson(str(error)) from error
        if not isinstance(value, dict):
            raise BadJson("body is not a JSON object")
        return value

    def query_value(self, name: str) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Response:
    """What to send back; `drop` closes the connection without answering, `delay` waits first (faults)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    delay: float = 0.0


def json_response(status: int, payload: object) -> Response:
    """A JSON response, minified like the provider's."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": "application/json"})


def api_error(status: int, error: str, error_code: str | None = None) -> Response:
    """The provider's request-level error body `{status, error, error_code?}` (contract §5.1)."""
    payload: dict[str, Any] = {"status": status, "error": error}
    if error_code is not None:
        payload["error_code"] = error_code
    return json_response(status, payload)


def invalid_parameters(error: str = "Invalid parameter value") -> Response:
    """400 InvalidParameters."""
    return api_error(400, error, "InvalidParameters")


def s3_error(status: int, code: str, message: str) -> Response:
    """An S3-style XML error, as the presigned upload and result hosts send."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    ).encode()
    return Response(status, body, {"Content-Type": "application/xml"})
