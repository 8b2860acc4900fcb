"""Submission queue consumer: creates provider tasks inside the rate budget and answers the waiting executions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from skin_analysis.callbacks import TaskCallbacks
from skin_analysis.models import bind_tables
from skin_analysis.provider.factory import provider_client_from
from skin_analysis.settings import SubmitterSettings, load_settings
from skin_analysis.submission import RetryLater, SubmissionDeferrals, SubmissionRequest, SubmitAnalysis

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# Deferring a message is normal here (no permit yet, a policy retry), not an invocation error to alarm on.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

settings = load_settings(SubmitterSettings)
bind_tables(analyses=settings.analyses_table, task_index=settings.task_index_table)
submit_analysis = SubmitAnalysis(
    settings,
    provider_client_from(settings, permit_max_wait=settings.create_permit_max_wait_seconds),
    boto3.client("s3"),
    TaskCallbacks(boto3.client("stepfunctions")),
)
deferrals = SubmissionDeferrals(boto3.client("sqs"), settings.submission_queue_url, settings.submit_retry_delay_seconds)


def submit(record: SQSRecord) -> None:
    """One message; raising leaves it on the queue to come back after its visibility timeout."""
    request = SubmissionRequest.model_validate_json(record.body)
    try:
        outcome = submit_analysis(request)
    except RetryLater as later:
        delay = deferrals.defer(record.receipt_handle, later.delay_seconds)
        logger.info(
            "submission deferred",
            extra={"analysis_id": request.analysis_id, "reason": later.reason, "retry_in_seconds": delay},
        )
        metrics.add_metric(name="SubmissionsDeferred", unit=MetricUnit.Count, value=1)
        raise
    logger.info("submission handled", extra={"analysis_id": request.analysis_id, "outcome": outcome})
    metrics.add_metric(name=f"Submissions{outcome.title().replace('_', '')}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Report only the messages that must come back; the others are deleted."""
    return process_partial_response(event=event, record_handler=submit, processor=processor, context=context)
