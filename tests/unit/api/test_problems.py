"""Every error leaves the API as problem details: 400 naming the field, 403, 404, 413, 415, 500 without internals."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from openapi_schema_validator import OAS31Validator

from skin_analysis.api import MAX_BODY_BYTES, openapi_document
from skin_analysis.api.problems import RequestBodyTooLarge, bounded_json, field_problems
from skin_analysis.api.services import current_partner, current_services
from skin_analysis.partners import PartnerIdentity, UnknownApiKey
from tests.unit.api.conftest import API_EVENTS, invoke, sample_event

if TYPE_CHECKING:
    from pathlib import Path

    from aws_lambda_powertools.event_handler import APIGatewayRestResolver


class RouteReached(Exception):
    """Raised by a stand-in dependency: the request got through routing and validation to its route."""


def _reached() -> NoReturn:
    raise RouteReached


def _partner() -> PartnerIdentity:
    return PartnerIdentity(partner_id="demo-partner-a", tier="basic", api_key_id="k7x2m9q4p1")


def _create(body: Any) -> dict[str, Any]:
    raw = body if isinstance(body, str) else json.dumps(body)
    return sample_event("create-analysis", body=raw)


def _assert_problem(status: int, headers: dict[str, str], body: dict[str, Any], app: APIGatewayRestResolver) -> None:
    assert headers["Content-Type"] == "application/problem+json"
    assert body["status"] == status
    assert body["request_id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    schema = {"$ref": "#/components/schemas/Problem", "components": openapi_document(app)["components"]}
    OAS31Validator(schema).validate(body)


@pytest.mark.parametrize("path", sorted(API_EVENTS.glob("*.json")), ids=lambda path: path.stem)
def test_every_sample_event_reaches_its_route(app: APIGatewayRestResolver, path: Path) -> None:
    # Given the services are replaced by a stand-in that only says "reached"
    app.dependency_overrides[current_partner] = _partner
    app.dependency_overrides[current_services] = _reached

    # When the sample event is resolved
    status, _, body = invoke(app, sample_event(path.stem))

    # Then it passed routing and validation: the openapi route answers, the others reach their dependencies
    if path.stem == "openapi-json":
        assert status == 200
    else:
        assert (status, body["code"]) == (500, "internal_error"), body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quality": "sd"}, "dst_actions"),
        ({"dst_actions": ["wrinkle"]}, "quality"),
        ({"quality": "best", "dst_actions": ["wrinkle"]}, "quality"),
        ({"quality": "sd", "dst_actions": []}, "dst_actions"),
        ({"quality": "sd", "dst_actions": "wrinkle"}, "dst_actions"),
        ({"quality": "sd", "dst_actions": [1]}, "dst_actions.0"),
        ({"quality": "sd", "dst_actions": ["wrinkle"], "callback": "x"}, "callback"),
        ({"quality": "sd", "dst_actions": ["wrinkle"], "content_type": "image/gif"}, "content_type"),
        ("[1, 2", "body"),
        ("null", "body"),
    ],
)
def test_invalid_bodies_are_400s_naming_the_field(app: APIGatewayRestResolver, body: Any, field: str) -> None:
    app.dependency_overrides[current_partner] = _partner
    app.dependency_overrides[current_services] = _reached

    status, headers, problem = invoke(app, _create(body))

    assert status == 400, problem
    _assert_problem(status, headers, problem, app)
    assert (problem["code"], problem["field"]) == ("invalid_field", field)
    assert problem["errors"][0]["location"] == "body"
    assert field in problem["detail"]
    # The rejected input is never echoed back.
    assert all(set(error) == {"field", "location", "message"} for error in problem["errors"])


def test_an_oversized_body_is_413_before_it_is_parsed(app: APIGatewayRestResolver) -> None:
    padding = "x" * MAX_BODY_BYTES
    status, headers, problem = invoke(app, _create(f'{{"quality": "sd", "pad": "{padding}"'))

    assert status == 413
    _assert_problem(status, headers, problem, app)
    assert problem["code"] == "payload_too_large"


def test_a_body_that_is_not_json_is_415(app: APIGatewayRestResolver) -> None:
    event = _create("quality=sd")
    event["headers"] = {"Content-Type": "text/plain"}
    event["multiValueHeaders"] = {"Content-Type": ["text/plain"]}

    status, headers, problem = invoke(app, event)

    assert status == 415
    _assert_problem(status, headers, problem, app)


def test_a_key_of_no_partner_is_403(app: APIGatewayRestResolver) -> None:
    def unknown() -> NoReturn:
        raise UnknownApiKey("API key id k7x2m9q4p1 belongs to no partner")

    app.dependency_overrides[current_partner] = unknown

    for name in ("get-analysis", "list-analyses", "delete-analysis"):
        status, headers, problem = invoke(app, sample_event(name))
        assert status == 403
        _assert_problem(status, headers, problem, app)
        assert problem["code"] == "forbidden"


def test_an_unknown_route_is_a_404_problem(app: APIGatewayRestResolver) -> None:
    status, headers, problem = invoke(app, sample_event("list-analyses", path="/v1/nothing-here"))

    assert status == 404
    _assert_problem(status, headers, problem, app)
    assert problem["code"] == "not_found"


def test_an_unexpected_failure_is_a_500_without_internals(app: APIGatewayRestResolver) -> None:
    def broken() -> NoReturn:
        raise RuntimeError("secret internals: table arn:aws:dynamodb:...")

    app.dependency_overrides[current_partner] = _partner
    app.dependency_overrides[current_services] = broken

    status, headers, problem = invoke(app, sample_event("get-analysis"))

    assert status == 500
    _assert_problem(status, headers, problem, app)
    assert "internals" not in json.dumps(problem)


def test_bounded_json_counts_bytes_not_characters() -> None:
    read = bounded_json(limit=8)

    assert read('{"a":1}') == {"a": 1}
    with pytest.raises(RequestBodyTooLarge) as refused:
        read('"ééééé"')  # 7 characters, 12 bytes
    assert (refused.value.size, refused.value.limit) == (12, 8)


def test_field_problems_name_nested_fields_and_locations() -> None:
    errors = [
        {"loc": ("body", "dst_actions", 2), "msg": "Input should be a valid string", "type": "string_type"},
        {"loc": ("query", "limit"), "msg": "Input should be greater than or equal to 1", "type": "greater_than"},
        {"loc": ("body", 17), "msg": "JSON decode error", "type": "json_invalid"},
        {"loc": ("body",), "msg": "Field required", "type": "missing"},
    ]

    problems = field_problems(errors)

    assert [(p.field, p.location) for p in problems] == [
        ("dst_actions.2", "body"),
        ("limit", "query"),
        ("body", "body"),
        ("body", "body"),
    ]
    assert problems[2].message == "The body is not valid JSON."
