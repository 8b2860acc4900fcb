"""State machine task Record Failure: FAILED with one error code, and Skin Analysis Failed (DESIGN §2, §5)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from skin_analysis.events import EventPublisher
from skin_analysis.failures import fail_analysis
from skin_analysis.models import bind_tables
from skin_analysis.settings import RecordFailureSettings, load_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()

settings = load_settings(RecordFailureSettings)
bind_tables(analyses=settings.analyses_table)
publisher = EventPublisher(settings.event_bus_name)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    """Input {analysis_id, execution, state: <the whole state>}; answers {status} for the ResultSelector."""
    analysis_id = str(event["analysis_id"])
    state = event.get("state")
    outcome = fail_analysis(analysis_id, state if isinstance(state, dict) else {}, publisher)
    logger.info(
        "failure recorded" if outcome.recorded else "analysis had already ended",
        extra={
            "analysis_id": analysis_id,
            "execution": event.get("execution"),
            "status": outcome.status,
            "error_code": outcome.reason.code,
            "error_message": outcome.reason.message,
        },
    )
    if outcome.recorded:
        metrics.add_dimension(name="error_code", value=outcome.reason.code)
        metrics.add_metric(name="AnalysesFailed", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="DuplicateFailures", unit=MetricUnit.Count, value=1)
    return {"status": outcome.status.value}
