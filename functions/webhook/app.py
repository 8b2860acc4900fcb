"""POST /webhooks/perfect-corp: verifies Standard Webhooks deliveries and wakes the waiting analysis (issue 18)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, event_source

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context
@event_source(data_class=APIGatewayProxyEvent)
def lambda_handler(event: APIGatewayProxyEvent, context: LambdaContext) -> dict[str, Any]:
    """Not built yet: answers 501 with a problem document, so a caller never mistakes it for success."""
    logger.warning("webhook is not built yet", extra={"method": event.http_method, "path": event.path})
    problem = {
        "type": "about:blank",
        "title": "Not Implemented",
        "status": 501,
        "detail": "This route is not built yet (issue 18).",
        "code": "not_built",
    }
    return {"statusCode": 501, "headers": {"Content-Type": "application/problem+json"}, "body": json.dumps(problem)}
