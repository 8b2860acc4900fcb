"""State machine task: moves the analysis to FAILED with its code and emits Failed (issue 17)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from skin_analysis.errors import FeatureNotBuilt

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Not built yet: fails the task so the execution records the failure instead of inventing a result."""
    logger.warning("record_failure is not built yet", extra={"analysis_id": event.get("analysis_id")})
    raise FeatureNotBuilt("record_failure is not built yet (issue 17)")
