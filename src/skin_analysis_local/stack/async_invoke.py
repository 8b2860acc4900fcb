"""Asynchronous invokes (S3 notifications, EventBridge targets, InvocationType=Event) with Lambda's retries.

moto runs S3 → Lambda inside PutObject and swallows the handler's error; AWS queues the event, retries a failed
invoke (MaximumRetryAttempts, default 2) and then sends it to the on-failure destination. This does the same,
with the retry delays compressed from minutes to seconds so a local run shows the whole path.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from skin_analysis_local.stack.specs import AsyncConfig

if TYPE_CHECKING:
    import boto3

    from skin_analysis_local.stack.workers import InvokeResult, WorkerPool

logger = logging.getLogger(__name__)


class AsyncInvoker:
    """Queues events for functions and runs them on warm workers, retrying and dead-lettering as Lambda does."""

    def __init__(
        self,
        pool: WorkerPool,
        configs: dict[str, AsyncConfig],
        session: boto3.Session,
        retry_delay: float,
    ) -> None:
        self._pool = pool
        self._configs = configs
        self._session = session
        self._retry_delay = retry_delay
        self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lambda-async")
        self._stopping = threading.Event()

    def submit(self, function: str, event: Any, source: str) -> None:
        """Accept the event now (as Lambda answers 202) and invoke it in the background."""
        if not self._stopping.is_set():
            self._executor.submit(self._run, function, event, source)

    def _run(self, function: str, event: Any, source: str) -> None:
        spec = self._pool.spec(function)
        config = self._configs.get(spec.name, AsyncConfig())
        attempts = 1 + config.maximum_retry_attempts
        result: InvokeResult | None = None
        for attempt in range(attempts):
            if attempt and self._stopping.wait(self._retry_delay * 2 ** (attempt - 1)):
                return
            result = self._pool.invoke(function, event, source)
            if not result.errored:
                return
        if result is not None and config.on_failure_arn:
            self._send_to_destination(config.on_failure_arn, spec.arn, event, result, attempts)

    def _send_to_destination(
        self, destination: str, function_arn: str, event: Any, result: InvokeResult, attempts: int
    ) -> None:
        record = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "requestContext": {
                "requestId": result.request_id,
                "functionArn": f"{function_arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": result.payload,
        }
        service, _, _, _, name = destination.split(":")[2:7]
        if service != "sqs":
            logger.warning("on-failure destination %s is not emulated (only SQS is)", destination)
            return
        sqs = self._session.client("sqs")
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record, default=str))

    def stop(self) -> None:
        """Drop queued events and stop waiting for retries."""
        self._stopping.set()
        self._executor.shutdown(wait=False, cancel_futures=True)
