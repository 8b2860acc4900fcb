"""State machine task: one status GET under a read permit, and where the loop goes next."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from skin_analysis.models import bind_tables
from skin_analysis.polling import CheckStatus, PollSchedule, Progress
from skin_analysis.provider.factory import provider_client_from
from skin_analysis.settings import CheckStatusSettings, load_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()

settings = load_settings(CheckStatusSettings)
bind_tables(analyses=settings.analyses_table)
check_status = CheckStatus(
    provider_client_from(settings),
    PollSchedule(
        initial_delay_seconds=settings.poll_initial_delay_seconds,
        max_delay_seconds=settings.poll_max_delay_seconds,
        deadline_seconds=settings.analysis_deadline_seconds,
        max_attempts=settings.max_poll_attempts,
    ),
)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """`{analysis_id, progress}` in, the next `progress` out; provider errors propagate for Retry/Catch."""
    progress = check_status(event["analysis_id"], Progress.model_validate(event["progress"]))
    logger.info(
        "status checked",
        extra={"analysis_id": event["analysis_id"], **progress.model_dump(exclude={"error_message"})},
    )
    metrics.add_metric(name="StatusChecks", unit=MetricUnit.Count, value=1)
    return progress.model_dump()
