"""The partner API's resolver: validation on, routers per resource, problem details, the OpenAPI route."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from skin_analysis.api import analyses
from skin_analysis.api.openapi import configure_openapi
from skin_analysis.api.problems import MAX_BODY_BYTES, bounded_json, register_problem_handlers


def build_resolver(*, max_body_bytes: int = MAX_BODY_BYTES) -> APIGatewayRestResolver:
    """A resolver with every /v1 route; bodies over `max_body_bytes` are 413 before they are parsed."""
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=bounded_json(max_body_bytes))
    app.include_router(analyses.router)
    register_problem_handlers(app)
    configure_openapi(app)
    return app
