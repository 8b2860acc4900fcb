"""GET /v1/openapi.json: the OpenAPI 3.1 document Powertools generates from the routes and models.

Nothing serves it by itself, so the resolver gets a route for it. The document is generated once per execution
environment, then tidied: Powertools lists a 422 "Validation Error" on every validated route, but this API
answers validation errors with 400 problem details (problems.py), so those entries and their schemas go; and
a 204 loses the body schema Powertools gives every response.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

OPENAPI_PATH: Final = "/v1/openapi.json"
API_KEY_SCHEME: Final = "partnerApiKey"
_POWERTOOLS_VALIDATION_SCHEMAS: Final = ("HTTPValidationError", "ValidationError", "ResponseValidationError")
_UNPROCESSABLE: Final = "422"
_NO_CONTENT: Final = "204"


def configure_openapi(app: APIGatewayRestResolver) -> None:
    """Title, version, the API key scheme, and the document's own route."""
    app.configure_openapi(
        title="skin-analysis partner API",
        version="1",
        description=(
            "Create an analysis, upload its photo with the returned form (or give an https image_url), read the "
            "scores and masks, list and erase your analyses. Every request needs your API key in the x-api-key "
            "header. Errors are RFC 9457 problem details with a stable `code`."
        ),
        security_schemes={API_KEY_SCHEME: APIKey(name="x-api-key", in_=APIKeyIn.header)},
        security=[{API_KEY_SCHEME: []}],
    )
    cached: list[dict[str, Any]] = []

    def openapi_json() -> dict[str, Any]:
        if not cached:
            cached.append(openapi_document(app))
        return cached[0]

    app.get(OPENAPI_PATH, summary="This OpenAPI document", tags=["documentation"])(openapi_json)


def openapi_document(app: APIGatewayRestResolver) -> dict[str, Any]:
    """The generated document without Powertools' 422 validation responses (we answer 400 problems)."""
    document: dict[str, Any] = json.loads(app.get_openapi_json_schema())
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            if _is_powertools_validation_error(responses.get(_UNPROCESSABLE)):
                del responses[_UNPROCESSABLE]
            # Powertools gives every response a body schema; a 204 has none.
            responses.get(_NO_CONTENT, {}).pop("content", None)
    schemas = document.get("components", {}).get("schemas", {})
    text = json.dumps(document.get("paths", {}))
    for name in _POWERTOOLS_VALIDATION_SCHEMAS:
        if name in schemas and f"#/components/schemas/{name}" not in text:
            del schemas[name]
    return document


def _is_powertools_validation_error(response: dict[str, Any] | None) -> bool:
    if response is None:
        return False
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))
