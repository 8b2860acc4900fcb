"""The partner REST API under /v1: create, read, list and erase a partner's analyses (DESIGN §1.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from botocore.config import Config

from skin_analysis.api import ApiServices, build_resolver, configure_services
from skin_analysis.models import bind_tables
from skin_analysis.settings import ApiErasureSettings, ApiRequestSettings, ApiSettings, load_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()

settings = load_settings(ApiSettings)
erasure_settings = load_settings(ApiErasureSettings)
request_settings = load_settings(ApiRequestSettings)
bind_tables(
    analyses=settings.analyses_table, partners=settings.partners_table, task_index=erasure_settings.task_index_table
)
# SigV4 for every presigned upload form and download URL, whatever the region's default.
s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
configure_services(
    ApiServices.from_settings(settings, erasure_settings, s3, requests=request_settings, sqs=boto3.client("sqs"))
)
app = build_resolver()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Route the proxy event; every error leaves as problem details (skin_analysis.api.problems)."""
    return app.resolve(event, context)
