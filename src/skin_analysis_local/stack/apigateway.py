"""API Gateway REST (v1) proxy integration, the parts that need no network: routes, events, responses, keys.

moto ignores AWS_PROXY integrations (LOCAL-EMULATION §0), so the local stack serves the template's routes
itself (api_server.py). What this module decides is what API Gateway decides: which resource and method a
request hits (the most specific path wins; an unknown resource or method is 403 "Missing Authentication
Token"), whether the API key is good, what event the function receives and what the caller gets back.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

if TYPE_CHECKING:
    from collections.abc import Callable

    from skin_analysis_local.stack.specs import ApiRoute

INTEGRATION_TIMEOUT_SECONDS = 29.0  # REST API integrations time out after 29 s, whatever the function's timeout
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # REST API request payload limit
_ANY_METHOD = "ANY"


@dataclass(frozen=True)
class HttpRequest:
    """A request as it reached the stage URL: method, path below the stage, raw query, headers and body."""

    method: str
    path: str
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    source_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        """The last value of a header, by case-insensitive name."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None


@dataclass(frozen=True)
class HttpResponse:
    """What the client receives."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class ApiKey:
    """An API key the request presented and API Gateway accepted."""

    key_id: str
    value: str


@dataclass(frozen=True)
class RouteMatch:
    """The route a request hit and its path parameters."""

    route: ApiRoute
    path_parameters: dict[str, str] = field(default_factory=dict)


def gateway_error(status: int, message: str) -> HttpResponse:
    """One of API Gateway's own answers (403 Forbidden, 502 Internal server error, ...)."""
    body = json.dumps({"message": message}).encode()
    return HttpResponse(status, (("Content-Type", "application/json"), ("x-amzn-ErrorType", _error_type(status))), body)


def _error_type(status: int) -> str:
    return {
        403: "ForbiddenException",
        413: "RequestTooLargeException",
        502: "InternalServerErrorException",
        504: "IntegrationTimeoutException",
    }.get(status, "ApiGatewayException")


MISSING_AUTHENTICATION_TOKEN = gateway_error(403, "Missing Authentication Token")
FORBIDDEN = gateway_error(403, "Forbidden")
INTERNAL_SERVER_ERROR = gateway_error(502, "Internal server error")
ENDPOINT_TIMED_OUT = gateway_error(504, "Endpoint request timed out")
REQUEST_TOO_LARGE = gateway_error(413, "Request Too Long")


def _segment_pattern(segment: str) -> tuple[int, str, str | None]:
    """(specificity rank, regex, parameter name) of one resource path segment."""
    greedy = re.fullmatch(r"\{(\w+)\+\}", segment)
    if greedy:
        return 2, "(.+)", greedy.group(1)
    variable = re.fullmatch(r"\{(\w+)\}", segment)
    if variable:
        return 1, "([^/]+)", variable.group(1)
    return 0, re.escape(segment), None


def _match_resource(resource: str, path: str) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """The specificity key and parameters if `path` is an instance of the resource path `resource`."""
    segments = [_segment_pattern(segment) for segment in resource.strip("/").split("/") if segment]
    pattern = "/" + "/".join(regex for _, regex, _ in segments)
    match = re.fullmatch(pattern, path.rstrip("/") or "/")
    if match is None:
        return None
    names = [name for _, _, name in segments if name is not None]
    parameters = {name: unquote(value) for name, value in zip(names, match.groups(), strict=True)}
    return tuple(rank for rank, _, _ in segments), parameters


def match_route(routes: list[ApiRoute], method: str, path: str) -> RouteMatch | None:
    """The route API Gateway picks: the most specific matching resource, then its method (or ANY)."""
    candidates: dict[str, tuple[tuple[int, ...], dict[str, str]]] = {}
    for route in routes:
        matched = _match_resource(route.path, path)
        if matched is not None:
            candidates[route.path] = matched
    if not candidates:
        return None
    resource = min(candidates, key=lambda path_template: candidates[path_template][0])
    for wanted in (method.upper(), _ANY_METHOD):
        for route in routes:
            if route.path == resource and route.method == wanted:
                return RouteMatch(route, candidates[resource][1])
    return None


def is_binary(content_type: str | None, binary_media_types: tuple[str, ...]) -> bool:
    """Whether API Gateway hands this body over base64-encoded (its Content-Type is a binary media type)."""
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return any(fnmatch.fnmatchcase(media_type, pattern.lower()) for pattern in binary_media_types)


def _multi_value(pairs: list[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """API Gateway's single-value (last wins) and multi-value maps, both null when there is nothing."""
    if not pairs:
        return None, None
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    return {key: values[-1] for key, values in multi.items()}, multi


def proxy_event(
    request: HttpRequest,
    match: RouteMatch,
    *,
    stage: str,
    api_id: str,
    account_id: str,
    request_id: str,
    api_key: ApiKey | None,
    binary_media_types: tuple[str, ...] = (),
    now: datetime | None = None,
) -> dict[str, Any]:
    """The REST API (payload format 1.0) proxy event the function receives."""
    moment = now or datetime.now(UTC)
    headers, multi_headers = _multi_value(list(request.headers))
    query, multi_query = _multi_value(parse_qsl(request.query, keep_blank_values=True))
    body: str | None = None
    encoded = False
    if request.body:
        if is_binary(request.header("Content-Type"), binary_media_types):
            body, encoded = base64.b64encode(request.body).decode("ascii"), True
        else:
            # API Gateway passes non-binary payloads as text; bytes that are not UTF-8 do not survive the trip.
            body = request.body.decode("utf-8", errors="replace")
    host = request.header("Host") or f"{api_id}.execute-api.localhost"
    return {
        "resource": match.route.path,
        "path": request.path,
        "httpMethod": request.method.upper(),
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": match.path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": api_id,
            "resourcePath": match.route.path,
            "httpMethod": request.method.upper(),
            "extendedRequestId": request_id,
            "requestTime": moment.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{stage}{request.path}",
            "accountId": account_id,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": host.split(".", 1)[0],
            "requestTimeEpoch": int(moment.timestamp() * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "apiKey": api_key.value if api_key else None,
                "apiKeyId": api_key.key_id if api_key else None,
                "sourceIp": request.source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": request.header("User-Agent"),
                "user": None,
            },
            "domainName": host,
            "apiId": api_id,
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


def proxy_response(payload: Any, request_id: str) -> HttpResponse:
    """The client's response from a Lambda proxy result; a malformed result is API Gateway's 502."""
    if not isinstance(payload, dict):
        return INTERNAL_SERVER_ERROR
    try:
        status = int(payload.get("statusCode", 200))
    except (TypeError, ValueError):
        return INTERNAL_SERVER_ERROR
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        return INTERNAL_SERVER_ERROR
    raw = (body or "").encode()
    if payload.get("isBase64Encoded") and body:
        try:
            raw = base64.b64decode(body, validate=True)
        except binascii.Error:
            return INTERNAL_SERVER_ERROR
    headers: list[tuple[str, str]] = [(str(k), str(v)) for k, v in (payload.get("headers") or {}).items()]
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(value)) for value in values)
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    headers.append(("x-amzn-RequestId", request_id))
    return HttpResponse(status, tuple(headers), raw)


@dataclass(frozen=True)
class KeyRecord:
    """An API key as API Gateway stores it, and whether a usage plan attaches it to this API's stage."""

    key_id: str
    value: str
    enabled: bool
    on_stage: bool


class ApiKeyCache:
    """Accepted key values, refreshed from API Gateway on a miss (rate-limited) and every few seconds.

    API Gateway accepts a key only when it is enabled and attached to a usage plan of the API's stage.
    """

    def __init__(self, fetch: Callable[[], list[KeyRecord]], max_age: float = 5.0, min_interval: float = 0.25) -> None:
        self._fetch = fetch
        self._max_age = max_age
        self._min_interval = min_interval
        self._accepted: dict[str, str] = {}
        self._fetched_at = float("-inf")

    def lookup(self, value: str | None) -> ApiKey | None:
        """The accepted key with this value, or None."""
        if not value:
            return None
        age = time.monotonic() - self._fetched_at
        if age > self._max_age or (value not in self._accepted and age > self._min_interval):
            self.refresh()
        key_id = self._accepted.get(value)
        return ApiKey(key_id, value) if key_id else None

    def refresh(self) -> None:
        """Read every key again."""
        records = self._fetch()
        self._accepted = {record.value: record.key_id for record in records if record.enabled and record.on_stage}
        self._fetched_at = time.monotonic()
