"""Validate simulator responses against the provider's own OpenAPI response schemas.

The three documents in `openapi/` are byte-for-byte copies of /work/shared/provider-openapi (the provider's
published OpenAPI 3.0 files). Their known defects (see that folder's README and contract §11) are patched in
`_PATCHES` below and nowhere else, each with the reason.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from openapi_schema_validator import OAS30Validator

if TYPE_CHECKING:
    import requests

OPENAPI_DIR = Path(__file__).parent / "openapi"
SKIN = "perfect-corp-ai_skin_analysis.json"
FILE = "perfect-corp-file.json"
TASKS = "perfect-corp-task_management.json"

# Transcribed from the provider's unit-system OpenAPI (api-evangelist/perfect-corp,
# openapi/_original/perfect-corp-unit_system-openapi.yml), which is not among the shared copies.
# `next_token` is documented as "`null` when there are no more pages" yet typed string: nullable here.
_CREDIT = {
    "type": "object",
    "required": ["status", "results"],
    "properties": {
        "status": {"type": "integer"},
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "type", "amount_dec"],
                "properties": {
                    "id": {"type": "integer"},
                    "type": {"type": "string", "enum": ["ApiSubsToken", "ApiPaygToken"]},
                    "amount": {"type": "integer"},
                    "amount_dec": {"type": "number"},
                    "expiry": {"type": "integer"},
                },
            },
        },
    },
}
_FEATURE_COST = {
    "type": "object",
    "required": ["status", "result"],
    "properties": {
        "status": {"type": "integer"},
        "result": {
            "type": "object",
            "properties": {
                "next_token": {"type": "string", "nullable": True},
                "skus": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["description", "amount", "unit", "proc_unit", "run_task_url"],
                        "properties": {
                            "description": {"type": "string"},
                            "amount": {"type": "number"},
                            "unit": {"type": "string", "enum": ["result_image", "second"]},
                            "proc_unit": {"type": "integer"},
                            "run_task_url": {"type": "string"},
                        },
                    },
                },
            },
        },
    },
}
# Any request-level error: `{status, error, error_code?}` (contract §5.1), for answers a path does not declare
# (429 on the status GET and File API, 500 unknown_internal_error on a create, every 401 variant).
_REQUEST_ERROR = {
    "type": "object",
    "required": ["status"],
    "properties": {"status": {"type": "integer"}, "error": {"type": "string"}, "error_code": {"type": "string"}},
}


@cache
def _document(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((OPENAPI_DIR / name).read_text())
    _PATCHES[name](doc)
    return doc


def _patch_skin(doc: dict[str, Any]) -> None:
    components = doc["components"]
    # RunError is written as a schema, not a Response object: wrap it so it resolves like the others.
    components["responses"]["RunError"] = {
        "description": "RunError",
        "content": {"application/json": {"schema": components["responses"]["RunError"]}},
    }
    schemas = components["schemas"]
    # EngineErrorCode leaves out the five skin-specific codes (error_below_min_image_size, ...): drop the enum.
    schemas["EngineErrorCode"] = {"type": "string", "nullable": True}
    status = schemas["SkinAnalysisResponseV2"]["properties"]["data"]["properties"]
    # Running and error bodies carry `results: null` (seen live); the schema's oneOf has no null branch.
    # The provider's own zip example gives `results` as a bare string: allowed as a third branch.
    status["results"] = {
        "oneOf": [
            {"enum": [None]},
            {"$ref": "#/components/schemas/SkinAnalysisResultsV2Zip"},
            {"$ref": "#/components/schemas/SkinAnalysisResultsV2Json"},
            {"type": "string"},
        ],
    }


def _patch_file(doc: dict[str, Any]) -> None:
    # FileResponseV2 puts `data: null` next to a $ref (OpenAPI 3.0 ignores the siblings): real bodies nest
    # BasicFileResponse under `data`, as the guide's example and live calls show.
    doc["components"]["schemas"]["FileResponseV2"] = {
        "type": "object",
        "required": ["status", "data"],
        "properties": {
            "status": {"type": "integer"},
            "data": {"$ref": "#/components/schemas/BasicFileResponse"},
        },
    }


def _patch_tasks(doc: dict[str, Any]) -> None:
    # DeleteTaskError is a schema under `responses`, and the 400 refers to it with allOf: use it directly.
    error = doc["components"]["responses"]["DeleteTaskError"]
    doc["paths"]["/s2s/v2.0/task/delete"]["post"]["responses"]["400"] = {
        "description": "DeleteTaskError",
        "content": {"application/json": {"schema": error}},
    }


_PATCHES = {SKIN: _patch_skin, FILE: _patch_file, TASKS: _patch_tasks}

# Request path → (document, OpenAPI path, method). The v2.0/v2.1 per-feature file paths are not in any
# published document; they answer exactly like the universal File API.
_OPERATIONS: tuple[tuple[str, re.Pattern[str], str, str], ...] = (
    ("POST", re.compile(r"^/s2s/v2\.[01]/file(/skin-analysis)?$"), FILE, "/s2s/v2.0/file"),
    ("POST", re.compile(r"^/s2s/v2\.0/task/skin-analysis$"), SKIN, "/s2s/v2.0/task/skin-analysis"),
    ("POST", re.compile(r"^/s2s/v2\.1/task/skin-analysis$"), SKIN, "/s2s/v2.1/task/skin-analysis"),
    ("GET", re.compile(r"^/s2s/v2\.0/task/skin-analysis/[^/]+$"), SKIN, "/s2s/v2.0/task/skin-analysis/{task_id}"),
    ("GET", re.compile(r"^/s2s/v2\.1/task/skin-analysis/[^/]+$"), SKIN, "/s2s/v2.1/task/skin-analysis/{task_id}"),
    ("POST", re.compile(r"^/s2s/v2\.0/task/delete$"), TASKS, "/s2s/v2.0/task/delete"),
)


def _inline(node: Any, doc: dict[str, Any]) -> Any:
    """Resolve every local $ref (the documents have no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _inline(target, doc)
        return {key: _inline(value, doc) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, doc) for item in node]
    return node


def schema_for(method: str, path: str, status: int) -> dict[str, Any] | None:
    """The response schema the provider documents for this answer; None for non-API paths."""
    if path == "/s2s/v1.0/client/credit" and status == 200:
        return _CREDIT
    if path == "/s2s/v2.0/credit/feature-cost" and status == 200:
        return _FEATURE_COST
    for op_method, pattern, name, api_path in _OPERATIONS:
        if op_method == method and pattern.match(path):
            doc = _document(name)
            declared = doc["paths"][api_path][method.lower()]["responses"].get(str(status))
            if declared is None:
                return _REQUEST_ERROR
            response = _inline(declared, doc)
            schema: dict[str, Any] = copy.deepcopy(response["content"]["application/json"]["schema"])
            return schema
    return _REQUEST_ERROR if path.startswith("/s2s/") else None


def validate_response(method: str, path: str, status: int, body: object) -> None:
    """Raise `jsonschema.ValidationError` when `body` breaks the provider's schema for this answer."""
    schema = schema_for(method, path, status)
    if schema is not None:
        OAS30Validator(schema).validate(body)


def check_response(response: requests.Response, *args: object, **kwargs: object) -> None:
    """A `requests` response hook: validate every API answer the simulator sends."""
    path = urlsplit(response.url).path
    if path.startswith("/s2s/"):
        validate_response(response.request.method or "GET", path, response.status_code, response.json())
