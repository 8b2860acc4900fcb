"""Fetch queue consumer: downloads a partner's image_url behind the SSRF guard and hands the photo to ingest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from skin_analysis.events import EventPublisher
from skin_analysis.models import bind_tables
from skin_analysis.partners import FetchPartnerImage, FetchRequest
from skin_analysis.remote_image import FetchLimits, ImageUrlPolicy, RemoteImageFetcher
from skin_analysis.settings import FetchImageSettings, load_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)

settings = load_settings(FetchImageSettings)
bind_tables(analyses=settings.analyses_table)
fetch_partner_image = FetchPartnerImage(
    RemoteImageFetcher(
        ImageUrlPolicy.of(settings.image_url_allow_hosts),
        FetchLimits(max_bytes=settings.max_upload_bytes, timeout_seconds=settings.image_url_timeout_seconds),
        ca_bundle=settings.image_url_ca_bundle,
    ),
    boto3.client("s3"),
    settings.uploads_bucket,
    EventPublisher(settings.event_bus_name),
)


def fetch(record: SQSRecord) -> None:
    """One request; a failed download is recorded (FAILED download_failed), only AWS errors raise for a retry."""
    request = FetchRequest.model_validate_json(record.body)
    outcome = fetch_partner_image(request)
    # Never the URL: it may carry the partner's signed query string.
    logger.info("image_url handled", extra={"analysis_id": request.analysis_id, "outcome": outcome})
    metrics.add_metric(name=f"ImageUrl{outcome.title()}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Report only the messages that must come back (after their visibility timeout, then the DLQ)."""
    return process_partial_response(event=event, record_handler=fetch, processor=processor, context=context)
