"""SQS event sources: Lambda's pollers, which moto does not emulate beyond a synchronous invoke per message.

Per mapping: at most `MaximumConcurrency` concurrent invokes (one polling thread each), batches of up to
`BatchSize` messages, and the result handling of AWS: a failed invoke deletes nothing, and with
`ReportBatchItemFailures` only the messages the function names in `batchItemFailures` stay. Messages that are
not deleted come back when the queue's visibility timeout runs out, and moto moves them to the dead-letter
queue after `maxReceiveCount` receives, as SQS does.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

    from skin_analysis_local.stack.specs import QueueSource
    from skin_analysis_local.stack.workers import InvokeResult, WorkerPool

logger = logging.getLogger(__name__)

_LONG_POLL_SECONDS = 2  # short enough that stopping is quick; moto answers at once when a message arrives
_SQS_MAX_RECEIVE = 10


def sqs_event(messages: list[MessageTypeDef], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda builds from received messages (attribute names as AWS spells them in the event)."""
    records = []
    for message in messages:
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: _message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        records.append(record)
    return {"Records": records}


def _message_attribute(value: Any) -> dict[str, Any]:
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": value.get("BinaryValue"),
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": list(value.get("BinaryListValues", [])),
        "dataType": value["DataType"],
    }


def messages_to_delete(message_ids: list[str], result: InvokeResult, report_batch_item_failures: bool) -> list[str]:
    """Which messages of a batch Lambda deletes after the invoke, by AWS's partial batch response rules.

    A failed invoke keeps the whole batch. With ReportBatchItemFailures, a null or empty response or an empty
    `batchItemFailures` is a complete success, and a malformed response or an itemIdentifier that is empty or not
    in the batch is a complete failure.
    """
    if result.errored:
        return []
    if not report_batch_item_failures:
        return list(message_ids)
    failed = _reported_failures(result.payload, set(message_ids))
    if failed is None:
        return []
    return [message_id for message_id in message_ids if message_id not in failed]


def _reported_failures(payload: Any, batch: set[str]) -> set[str] | None:
    """The ids the response reports as failed, or None when the response fails the whole batch."""
    if payload is None or payload == {}:
        return set()
    if not isinstance(payload, dict):
        return None
    failures = payload.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in batch:
            return None
        failed.add(identifier)
    return failed


class QueuePoller:
    """The pollers of one SQS event source mapping."""

    def __init__(self, source: QueueSource, sqs: SQSClient, pool: WorkerPool, region: str) -> None:
        self._source = source
        self._sqs = sqs
        self._pool = pool
        self._region = region
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._poll, name=f"sqs-poller-{source.function_name}-{index}", daemon=True)
            for index in range(source.maximum_concurrency)
        ]

    def start(self) -> None:
        """Start one polling thread per allowed concurrent invoke."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop polling; an invoke in progress finishes and its messages are settled."""
        self._stopping.set()

    def join(self, timeout: float) -> None:
        """Wait for the polling threads to notice the stop (they are daemons: a stuck one is left behind)."""
        for thread in self._threads:
            thread.join(timeout)

    def _poll(self) -> None:
        while not self._stopping.is_set():
            try:
                messages = self._receive_batch()
                if messages:
                    self._process(messages)
            except (BotoCoreError, ClientError):
                if self._stopping.is_set():
                    return
                logger.exception("polling %s failed; retrying in 1 s", self._source.queue_url)
                self._stopping.wait(1)

    def _receive_batch(self) -> list[MessageTypeDef]:
        """Up to BatchSize messages: a long poll for the first, then whatever is already waiting."""
        batch: list[MessageTypeDef] = []
        wait = _LONG_POLL_SECONDS
        while len(batch) < self._source.batch_size and not self._stopping.is_set():
            received = self._sqs.receive_message(
                QueueUrl=self._source.queue_url,
                MaxNumberOfMessages=min(_SQS_MAX_RECEIVE, self._source.batch_size - len(batch)),
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not received:
                break
            batch.extend(received)
            wait = 0
        return batch

    def _process(self, messages: list[MessageTypeDef]) -> None:
        event = sqs_event(messages, self._source.queue_arn, self._region)
        result = self._pool.invoke(self._source.function_name, event, "sqs")
        message_ids = [message["MessageId"] for message in messages]
        to_delete = set(messages_to_delete(message_ids, result, self._source.report_batch_item_failures))
        entries = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(messages)
            if message["MessageId"] in to_delete
        ]
        if entries:
            self._sqs.delete_message_batch(QueueUrl=self._source.queue_url, Entries=entries)  # type: ignore[arg-type]
