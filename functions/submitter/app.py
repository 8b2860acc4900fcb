"""Submission queue consumer: creates provider tasks inside the rate budget (issue 17)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import SQSEvent, event_source

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context
@event_source(data_class=SQSEvent)
def lambda_handler(event: SQSEvent, context: LambdaContext) -> dict[str, list[dict[str, str]]]:
    """Not built yet: reports every message as failed so none is deleted; SQS redrives them to the DLQ."""
    message_ids = [record.message_id for record in event.records]
    logger.warning("submitter is not built yet", extra={"messages": len(message_ids)})
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in message_ids]}
