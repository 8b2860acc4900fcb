"""POST /webhooks/perfect-corp: verifies Standard Webhooks deliveries and wakes the waiting analysis (DESIGN §2)."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, event_source
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from skin_analysis.callbacks import TaskCallbacks
from skin_analysis.models import bind_tables
from skin_analysis.models.wait import connect_wait_models
from skin_analysis.settings import WebhookSettings, load_settings
from skin_analysis.webhooks import (
    ReceiveWebhook,
    SecretsManagerSigningKeys,
    WakeAnalysis,
    WebhookDedupe,
    WebhookOutcome,
    WebhookReply,
    WebhookVerifier,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()

settings = load_settings(WebhookSettings)
bind_tables(analyses=settings.analyses_table, task_index=settings.task_index_table)
connect_wait_models()
# Everything a delivery needs is built (and the secret read) at cold start, so the first answer is as fast
# as the others.
signing_keys = SecretsManagerSigningKeys(
    settings.webhook_secret_id, provider=SecretsProvider(boto3_client=boto3.client("secretsmanager"))
)
signing_keys.keys()
dedupe = WebhookDedupe(
    settings.idempotency_table,
    WakeAnalysis(TaskCallbacks(boto3.client("stepfunctions"))),
    expires_after_seconds=settings.webhook_dedupe_seconds,
    client=boto3.client("dynamodb"),
)
receive_webhook = ReceiveWebhook(WebhookVerifier(signing_keys), dedupe)

# Metric per first-delivery outcome (a duplicate counts only as WebhookDuplicates).
_OUTCOME_METRICS = {
    WebhookOutcome.WOKEN: "WebhookWakeUps",
    WebhookOutcome.RECORDED: "WebhooksBeforeToken",
    WebhookOutcome.WAIT_OVER: "WebhooksAfterWait",
    WebhookOutcome.FINISHED: "WebhooksForFinishedAnalyses",
    WebhookOutcome.ORPHAN: "WebhookOrphans",
}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=APIGatewayProxyEvent)
def lambda_handler(event: APIGatewayProxyEvent, context: LambdaContext) -> dict[str, Any]:
    """Refusals are 401 with a reason; verified deliveries 200; an AWS failure after verification 503 (retried)."""
    dedupe.register_lambda_context(context)
    try:
        reply = receive_webhook(event.body, event.is_base64_encoded, event.headers)
    except Exception:
        logger.exception("webhook handling failed; the provider will retry")
        metrics.add_metric(name="WebhookErrors", unit=MetricUnit.Count, value=1)
        return _unavailable()
    _record(reply, event)
    return reply.as_proxy_response()


def _record(reply: WebhookReply, event: APIGatewayProxyEvent) -> None:
    if reply.rejection is not None:
        logger.warning(
            "webhook rejected",
            extra={
                "reason": reply.rejection.reason,
                "detail": reply.rejection.detail,
                "webhook_id": event.headers.get("webhook-id"),
                "source_ip": event.request_context.identity.source_ip,
            },
        )
        metrics.add_metric(name="WebhooksRejected", unit=MetricUnit.Count, value=1)
        with single_metric(
            name="WebhooksRejected", unit=MetricUnit.Count, value=1, namespace=metrics.namespace
        ) as by_reason:
            by_reason.add_dimension(name="reason", value=reply.rejection.reason.value)
        return
    if reply.webhook is None:
        return
    metrics.add_metric(name="WebhooksVerified", unit=MetricUnit.Count, value=1)
    if reply.webhook.signed_with_previous:
        metrics.add_metric(name="WebhooksVerifiedWithPreviousSecret", unit=MetricUnit.Count, value=1)
    details: dict[str, Any] = {
        "webhook_id": reply.webhook.webhook_id,
        "task_id": reply.webhook.task_id,
        "secret": reply.webhook.secret_slot,
    }
    if reply.duplicate or reply.result is None:
        metrics.add_metric(name="WebhookDuplicates", unit=MetricUnit.Count, value=1)
        logger.info("webhook repeated", extra={**details, "status_code": reply.status_code})
        return
    outcome = reply.result.outcome
    metrics.add_metric(name=_OUTCOME_METRICS[outcome], unit=MetricUnit.Count, value=1)
    log = logger.warning if outcome is WebhookOutcome.ORPHAN else logger.info
    log("webhook handled", extra={**details, "outcome": outcome, "analysis_id": reply.result.analysis_id})


def _unavailable() -> dict[str, Any]:
    problem = {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": HTTPStatus.SERVICE_UNAVAILABLE,
        "detail": "The webhook could not be handled now; retry it.",
        "code": "webhook_unavailable",
    }
    return {
        "statusCode": HTTPStatus.SERVICE_UNAVAILABLE,
        "headers": {"Content-Type": "application/problem+json", "Retry-After": "5"},
        "body": json.dumps(problem),
    }
