"""The partner API's resolver in process, with no AWS: routes run up to their dependencies, which tests replace."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

import pytest

from skin_analysis.api import build_resolver
from skin_analysis_local.template import PROJECT_ROOT
from tests.helpers import LambdaContextStandIn

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.utilities.typing import LambdaContext

API_EVENTS = PROJECT_ROOT / "events" / "api"


def sample_event(name: str, **changes: Any) -> dict[str, Any]:
    """events/api/<name>.json with top-level fields replaced."""
    event: dict[str, Any] = json.loads((API_EVENTS / f"{name}.json").read_text())
    event.update(changes)
    return event


def invoke(app: APIGatewayRestResolver, event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    """Resolve one proxy event: status, headers and the JSON body (None when empty)."""
    context = cast("LambdaContext", LambdaContextStandIn(function_name="api"))
    result = app.resolve(event, context)
    headers = dict(result.get("headers") or {})
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.setdefault(name, values[-1])
    body = result.get("body") or ""
    return result["statusCode"], headers, json.loads(body) if body else None


@pytest.fixture
def app() -> APIGatewayRestResolver:
    """A fresh resolver, as built at a cold start."""
    return build_resolver()
