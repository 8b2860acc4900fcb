"""S3 upload trigger: normalizes each photo, creates its analysis item and starts its execution (issue 16)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source

from skin_analysis.errors import FeatureNotBuilt

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> None:
    """Not built yet: logs the objects it was given and fails, so S3 retries and the on-failure queue keep them."""
    keys = [unquote_plus(record.s3.get_object.key) for record in event.records]
    logger.warning("ingest is not built yet", extra={"bucket": event.bucket_name, "objects": len(keys)})
    raise FeatureNotBuilt("ingest is not built yet (issue 16)")
