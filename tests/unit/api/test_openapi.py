"""The generated OpenAPI document is valid, matches the template's routes, and describes what routes answer."""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec

from skin_analysis.api import OPENAPI_PATH, openapi_document
from skin_analysis.api.problems import problem
from skin_analysis_local.template import load_template
from tests.unit.api.conftest import invoke, sample_event

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def template_routes() -> set[tuple[str, str]]:
    """(METHOD, path) of every API event of ApiFunction in template.yaml."""
    events = load_template()["Resources"]["ApiFunction"]["Properties"]["Events"]
    return {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for event in events.values()
        if event["Type"] == "Api"
    }


def document_routes(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item if method in _METHODS}


def schema_validator(document: dict[str, Any], name: str) -> OAS31Validator:
    """A validator of the component schema `name` whose $refs resolve inside the document."""
    return OAS31Validator({"$ref": f"#/components/schemas/{name}", "components": document["components"]})


def test_the_document_is_valid_openapi_3_1(app: APIGatewayRestResolver) -> None:
    document = openapi_document(app)

    validate_spec(document)
    assert document["openapi"].startswith("3.1")
    for schema in document["components"]["schemas"].values():
        OAS31Validator.check_schema(schema)


def test_the_document_lists_exactly_the_routes_the_template_declares(app: APIGatewayRestResolver) -> None:
    assert document_routes(openapi_document(app)) == template_routes()


def test_every_operation_needs_the_api_key_and_answers_problems(app: APIGatewayRestResolver) -> None:
    document = openapi_document(app)

    assert document["security"] == [{"partnerApiKey": []}]
    assert document["components"]["securitySchemes"]["partnerApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
    }
    for path, item in document["paths"].items():
        for method, operation in item.items():
            # Powertools' default 422 is gone: validation errors are 400 problem details here. The one 422 left is
            # ours: an Idempotency-Key reused with another body (a problem like every other 4xx).
            if "422" in operation["responses"]:
                assert (method, path) == ("post", "/v1/analyses")
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert set(response["content"]) == {"application/problem+json"}, (method, path, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_path_parameters_are_declared(app: APIGatewayRestResolver) -> None:
    for path, item in openapi_document(app)["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for operation in item.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, path


def test_the_route_serves_the_document(app: APIGatewayRestResolver) -> None:
    # Given the proxy event API Gateway sends for GET /v1/openapi.json
    event = sample_event("openapi-json")
    assert event["path"] == OPENAPI_PATH

    # When the resolver answers it (twice: the document is generated once)
    status, headers, body = invoke(app, event)
    _, _, again = invoke(app, event)

    # Then it is the document itself, as JSON
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body == again == openapi_document(app)


@pytest.mark.parametrize("status", [400, 403, 404, 409, 413, 415, 500, 503])
def test_problem_bodies_match_the_documented_schema(app: APIGatewayRestResolver, status: int) -> None:
    answer = problem(HTTPStatus(status), "some_code", "what happened", fix="what to do", request_id="r-1")

    assert answer.body is not None
    schema_validator(openapi_document(app), "Problem").validate(json.loads(answer.body))


def test_no_content_answers_document_no_body(app: APIGatewayRestResolver) -> None:
    delete = openapi_document(app)["paths"]["/v1/analyses/{analysis_id}"]["delete"]

    assert "content" not in delete["responses"]["204"]


def test_create_documents_image_url_and_the_idempotency_key(app: APIGatewayRestResolver) -> None:
    document = openapi_document(app)
    create = document["paths"]["/v1/analyses"]["post"]

    headers = {p["name"].lower() for p in create.get("parameters", []) if p["in"] == "header"}
    assert "idempotency-key" in headers
    assert {"400", "409", "422"} <= set(create["responses"])
    schemas = document["components"]["schemas"]
    assert "image_url" in schemas["CreateAnalysisRequest"]["properties"]
    upload = schemas["CreatedAnalysisResponse"]["properties"]["upload"]
    assert {"type": "null"} in upload["anyOf"]
