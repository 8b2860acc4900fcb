"""When a deferred submission comes back: its message's visibility, not the queue's long default.

A message reported as failed reappears after the queue's visibility timeout (minutes, sized for the function's
timeout). A deferral knows better: the limiter says when a permit can be granted, and a policy resubmit waits
the stack's retry delay.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# SQS accepts visibility timeouts up to 12 hours.
_MAX_VISIBILITY_SECONDS = 43_200


class SubmissionDeferrals:
    """Sets how long a deferred submission message stays invisible."""

    def __init__(self, sqs: SQSClient, queue_url: str, default_delay_seconds: int) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._default = default_delay_seconds

    def defer(self, receipt_handle: str, delay_seconds: float | None) -> int:
        """Make the message visible again in `delay_seconds` (None: the default); returns the delay used."""
        delay = self._default if delay_seconds is None else max(1, math.ceil(delay_seconds))
        delay = min(delay, _MAX_VISIBILITY_SECONDS)
        self._sqs.change_message_visibility(
            QueueUrl=self._queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=delay
        )
        return delay
