"""The partner REST API (/v1): Powertools resolver, routers per resource, pydantic models, problem details."""

from skin_analysis.api.openapi import OPENAPI_PATH, openapi_document
from skin_analysis.api.problems import MAX_BODY_BYTES, PROBLEM_CONTENT_TYPE, ProblemCode
from skin_analysis.api.resolver import build_resolver
from skin_analysis.api.services import ApiServices, configure_services

__all__ = [
    "MAX_BODY_BYTES",
    "OPENAPI_PATH",
    "PROBLEM_CONTENT_TYPE",
    "ApiServices",
    "ProblemCode",
    "build_resolver",
    "configure_services",
    "openapi_document",
]
