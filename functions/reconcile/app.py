"""Scheduled sweep: publishes the age of the oldest non-terminal analysis for the stuck-analysis alarm."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from skin_analysis.errors import FeatureNotBuilt

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Not built yet: fails, so the schedule's errors show that the stuck-analysis metric is missing."""
    logger.warning("reconcile is not built yet")
    raise FeatureNotBuilt("reconcile is not built yet (issue 17)")
