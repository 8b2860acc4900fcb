"""API Gateway's decisions, without a server: which route, which event, which answer, which key."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from skin_analysis_local.stack.apigateway import (
    FORBIDDEN,
    INTERNAL_SERVER_ERROR,
    ApiKey,
    ApiKeyCache,
    HttpRequest,
    KeyRecord,
    is_binary,
    match_route,
    proxy_event,
    proxy_response,
)
from skin_analysis_local.stack.deploy import swagger_routes
from skin_analysis_local.stack.specs import ApiRoute

ROUTES = [
    ApiRoute("GET", "/v1/analyses", "api", api_key_required=True),
    ApiRoute("POST", "/v1/analyses", "api", api_key_required=True),
    ApiRoute("GET", "/v1/analyses/{analysis_id}", "api", api_key_required=True),
    ApiRoute("GET", "/v1/analyses/openapi", "docs", api_key_required=True),
    ApiRoute("ANY", "/files/{path+}", "files", api_key_required=False),
    ApiRoute("POST", "/webhooks/perfect-corp", "webhook", api_key_required=False),
]


def test_a_literal_resource_beats_a_path_parameter() -> None:
    match = match_route(ROUTES, "GET", "/v1/analyses/openapi")
    assert match is not None
    assert (match.route.function_name, match.path_parameters) == ("docs", {})


def test_path_parameters_are_decoded() -> None:
    match = match_route(ROUTES, "GET", "/v1/analyses/a%20b")
    assert match is not None
    assert match.path_parameters == {"analysis_id": "a b"}


def test_a_greedy_parameter_takes_the_rest_of_the_path_under_any_method() -> None:
    match = match_route(ROUTES, "DELETE", "/files/a/b/c.png")
    assert match is not None
    assert (match.route.function_name, match.path_parameters) == ("files", {"path": "a/b/c.png"})


@pytest.mark.parametrize(("method", "path"), [("GET", "/v2/analyses"), ("DELETE", "/v1/analyses"), ("GET", "/")])
def test_an_unknown_resource_or_method_matches_nothing(method: str, path: str) -> None:
    assert match_route(ROUTES, method, path) is None


def test_a_trailing_slash_reaches_the_same_resource() -> None:
    match = match_route(ROUTES, "GET", "/v1/analyses/")
    assert match is not None
    assert match.route.path == "/v1/analyses"


def test_routes_come_from_the_translated_swagger() -> None:
    function_arn = "arn:aws:lambda:us-east-1:1:function:fn"
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    swagger = {
        "paths": {
            "/v1/x": {
                "get": {"x-amazon-apigateway-integration": {"uri": uri}, "security": [{"api_key": []}]},
                "x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {"uri": uri}, "security": []},
            },
            "/mock": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}},
        }
    }
    assert swagger_routes(swagger) == [ApiRoute("GET", "/v1/x", "fn", True), ApiRoute("ANY", "/v1/x", "fn", False)]


def _event(request: HttpRequest, binary: tuple[str, ...] = (), api_key: ApiKey | None = None) -> dict[str, object]:
    match = match_route(ROUTES, request.method, request.path)
    assert match is not None
    return proxy_event(
        request,
        match,
        stage="dev",
        api_id="abc123",
        account_id="123456789012",
        request_id="req-1",
        api_key=api_key,
        binary_media_types=binary,
        now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def test_the_proxy_event_is_rest_api_payload_1_0() -> None:
    request = HttpRequest(
        "GET",
        "/v1/analyses/an-id",
        query="status=FAILED&status=RUNNING&limit=5",
        headers=(("Host", "127.0.0.1:3000"), ("X-Trace", "a"), ("X-Trace", "b"), ("User-Agent", "t")),
        source_ip="127.0.0.9",
    )
    event = _event(request, api_key=ApiKey("key-id", "key-value"))
    assert event["resource"] == "/v1/analyses/{analysis_id}"
    assert event["path"] == "/v1/analyses/an-id"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"analysis_id": "an-id"}
    assert event["queryStringParameters"] == {"status": "RUNNING", "limit": "5"}
    assert event["multiValueQueryStringParameters"] == {"status": ["FAILED", "RUNNING"], "limit": ["5"]}
    assert event["headers"]["X-Trace"] == "b"  # type: ignore[index]
    assert event["multiValueHeaders"]["X-Trace"] == ["a", "b"]  # type: ignore[index]
    assert (event["body"], event["isBase64Encoded"]) == (None, False)
    context = event["requestContext"]
    assert isinstance(context, dict)
    assert context["identity"]["apiKeyId"] == "key-id"
    assert context["identity"]["apiKey"] == "key-value"
    assert context["identity"]["sourceIp"] == "127.0.0.9"
    assert context["path"] == "/dev/v1/analyses/an-id"
    assert (context["stage"], context["apiId"], context["requestId"]) == ("dev", "abc123", "req-1")
    assert context["requestTimeEpoch"] == 1767323045000


def test_without_query_or_path_parameters_those_fields_are_null() -> None:
    event = _event(HttpRequest("GET", "/v1/analyses"))
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None


def test_a_text_body_is_passed_as_text() -> None:
    body = json.dumps({"image_url": "https://example.com/é.jpg"}).encode()
    event = _event(HttpRequest("POST", "/v1/analyses", headers=(("Content-Type", "application/json"),), body=body))
    assert (event["body"], event["isBase64Encoded"]) == (body.decode(), False)


def test_a_binary_media_type_body_is_base64_encoded() -> None:
    body = bytes(range(256))
    request = HttpRequest("POST", "/webhooks/perfect-corp", headers=(("content-type", "image/png"),), body=body)
    event = _event(request, binary=("image/*",))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(str(event["body"])) == body


@pytest.mark.parametrize(
    ("content_type", "types", "expected"),
    [
        ("image/jpeg", ("image/*",), True),
        ("application/octet-stream; charset=x", ("application/octet-stream",), True),
        ("application/json", ("*/*",), True),
        ("application/json", ("image/*",), False),
        (None, ("*/*",), False),
    ],
)
def test_binary_media_types_match_like_api_gateway(
    content_type: str | None, types: tuple[str, ...], expected: bool
) -> None:
    assert is_binary(content_type, types) is expected


def test_a_proxy_result_becomes_the_http_response() -> None:
    payload = {
        "statusCode": 201,
        "headers": {"Location": "/v1/analyses/x"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": '{"ok":true}',
    }
    response = proxy_response(payload, "req-1")
    assert response.status == 201
    assert response.body == b'{"ok":true}'
    assert ("Location", "/v1/analyses/x") in response.headers
    assert [value for name, value in response.headers if name == "Set-Cookie"] == ["a=1", "b=2"]
    assert ("x-amzn-RequestId", "req-1") in response.headers


def test_a_base64_result_is_decoded() -> None:
    body = bytes(range(10))
    payload = {"statusCode": 200, "body": base64.b64encode(body).decode(), "isBase64Encoded": True}
    assert proxy_response(payload, "r").body == body


@pytest.mark.parametrize(
    "payload",
    [None, "text", {"statusCode": "abc"}, {"statusCode": 200, "body": {"not": "a string"}}],
)
def test_a_malformed_result_is_a_502(payload: object) -> None:
    assert proxy_response(payload, "r") == INTERNAL_SERVER_ERROR


def test_forbidden_is_api_gateways_own_body() -> None:
    assert FORBIDDEN.status == 403
    assert json.loads(FORBIDDEN.body) == {"message": "Forbidden"}


def test_only_enabled_keys_on_the_stage_are_accepted() -> None:
    records = [
        KeyRecord("id-1", "good", enabled=True, on_stage=True),
        KeyRecord("id-2", "disabled", enabled=False, on_stage=True),
        KeyRecord("id-3", "no-plan", enabled=True, on_stage=False),
    ]
    cache = ApiKeyCache(lambda: records)
    assert cache.lookup("good") == ApiKey("id-1", "good")
    assert cache.lookup("disabled") is None
    assert cache.lookup("no-plan") is None
    assert cache.lookup(None) is None


def test_an_unknown_key_refreshes_at_most_once_per_interval() -> None:
    calls: list[int] = []
    records: list[KeyRecord] = []

    def fetch() -> list[KeyRecord]:
        calls.append(1)
        return list(records)

    cache = ApiKeyCache(fetch, max_age=60, min_interval=60)
    assert cache.lookup("new") is None
    records.append(KeyRecord("id-new", "new", enabled=True, on_stage=True))
    assert cache.lookup("new") is None  # a flood of bad keys does not hammer API Gateway
    assert len(calls) == 1
    cache.refresh()
    assert cache.lookup("new") == ApiKey("id-new", "new")
