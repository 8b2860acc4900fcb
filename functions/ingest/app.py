"""S3 upload trigger: each object becomes one started analysis or one recorded failure (DESIGN §2, ingest)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source

from skin_analysis.events import EventPublisher
from skin_analysis.imaging import Step
from skin_analysis.ingest import IngestOutcome, IngestResult, IngestUpload
from skin_analysis.models import bind_tables
from skin_analysis.settings import IngestSettings, load_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()

settings = load_settings(IngestSettings)
bind_tables(analyses=settings.analyses_table)
ingest_upload = IngestUpload(
    settings, boto3.client("s3"), boto3.client("stepfunctions"), EventPublisher(settings.event_bus_name)
)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> None:
    """Ingest every record; bad photos are recorded as FAILED, only transient AWS errors propagate for retry."""
    for record in event.records:
        # S3 notifications carry keys form-encoded ("a b+c.jpg" arrives as "a+b%2Bc.jpg").
        bucket, key = record.s3.bucket.name, unquote_plus(record.s3.get_object.key)
        result = ingest_upload(bucket, key)
        logger.info(
            "upload ingested",
            extra={
                "bucket": bucket,
                "outcome": result.outcome,
                "analysis_id": result.analysis_id,
                "error_code": result.error_code,
                "steps": list(result.steps),
            },
        )
        _count(result)


def _count(result: IngestResult) -> None:
    metrics.add_metric(name=f"Uploads{result.outcome.title()}", unit=MetricUnit.Count, value=1)
    if result.outcome is IngestOutcome.FAILED:
        with single_metric(name="IngestFailures", unit=MetricUnit.Count, value=1) as failure:
            failure.add_dimension(name="error_code", value=result.error_code or "unknown")
    if result.bytes_out:
        metrics.add_metric(name="ImagesNormalized", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="BytesIn", unit=MetricUnit.Bytes, value=result.bytes_in)
        metrics.add_metric(name="BytesOut", unit=MetricUnit.Bytes, value=result.bytes_out)
    if Step.PASSED_THROUGH in result.steps:
        metrics.add_metric(name="ImagesPassedThrough", unit=MetricUnit.Count, value=1)
