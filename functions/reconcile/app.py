"""Scheduled sweep: the age of the oldest live analysis for the stuck-analysis alarm, and FAILED for stranded ones."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from skin_analysis.events import EventPublisher
from skin_analysis.models import bind_tables
from skin_analysis.partners.read_analysis import UploadWindow
from skin_analysis.reconcile import ExecutionLookup, Reconciler
from skin_analysis.settings import ReconcileSettings, load_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()

settings = load_settings(ReconcileSettings)
bind_tables(analyses=settings.analyses_table)
publisher = EventPublisher(settings.event_bus_name)
sfn = boto3.client("stepfunctions")
window = UploadWindow(settings.upload_url_ttl_seconds, settings.upload_grace_seconds)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One sweep per scheduled event; answers what it did (for a manual invoke)."""
    # Built per invoke: the DescribeExecution budget is per sweep, not per execution environment.
    reconciler = Reconciler(
        ExecutionLookup(sfn, settings.state_machine_arn),
        publisher,
        window,
        stranded_after_seconds=settings.reconcile_stranded_after_seconds,
    )
    report = reconciler.sweep()
    metrics.add_metric(
        name="OldestNonTerminalAnalysisAgeSeconds", unit=MetricUnit.Seconds, value=report.oldest_live_age_seconds
    )
    metrics.add_metric(name="StrandedAnalysesFailed", unit=MetricUnit.Count, value=report.stranded_failed)
    metrics.add_metric(name="MissedUploadsFailed", unit=MetricUnit.Count, value=report.missed_uploads_failed)
    metrics.add_metric(name="StrandedChecksDeferred", unit=MetricUnit.Count, value=report.unchecked)
    summary = asdict(report)
    logger.info("reconciled", extra=summary)
    return summary
