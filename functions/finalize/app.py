"""State machine task Finalize Analysis: stores scores and masks, moves to SUCCEEDED, emits Completed (DESIGN §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config

from skin_analysis.events import EventPublisher
from skin_analysis.finalize import DEFAULT_COPY_WORKERS, FinalizeAnalysis, MaskCopier
from skin_analysis.models import bind_tables
from skin_analysis.provider.factory import provider_client_from
from skin_analysis.settings import FinalizeSettings, load_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()

settings = load_settings(FinalizeSettings)
bind_tables(analyses=settings.analyses_table)
finalize_analysis = FinalizeAnalysis(
    provider=provider_client_from(settings, permit_max_wait=settings.read_permit_wait),
    masks=MaskCopier(
        boto3.client("s3", config=Config(max_pool_connections=DEFAULT_COPY_WORKERS)), settings.results_bucket
    ),
    publisher=EventPublisher(settings.event_bus_name),
    analyses_table=settings.analyses_table,
    results_bucket=settings.results_bucket,
)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    """Input {analysis_id, progress: {task_id, ...}}; answers {status} for the state's ResultSelector.

    Provider errors propagate under their class names: the state machine retries the transient ones and
    sends the rest to Record Failure.
    """
    analysis_id = str(event["analysis_id"])
    progress = event.get("progress")
    task_id = progress.get("task_id") if isinstance(progress, dict) else None
    outcome = finalize_analysis(analysis_id, task_id if isinstance(task_id, str) else None)
    logger.info(
        "analysis finalized" if outcome.finalized else "analysis had already ended",
        extra={
            "analysis_id": analysis_id,
            "status": outcome.status,
            "masks": len(outcome.mask_keys),
            "missing_masks": list(outcome.missing_masks),
        },
    )
    if outcome.finalized:
        metrics.add_metric(name="AnalysesSucceeded", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="MasksCopied", unit=MetricUnit.Count, value=len(outcome.mask_keys))
    else:
        metrics.add_metric(name="DuplicateFinalizes", unit=MetricUnit.Count, value=1)
    if outcome.missing_masks:
        metrics.add_metric(name="MasksMissingFromResult", unit=MetricUnit.Count, value=len(outcome.missing_masks))
    return {"status": outcome.status.value}
