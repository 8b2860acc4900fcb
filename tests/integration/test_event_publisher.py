"""The publisher against moto's EventBridge: events reach a rule's SQS target once, failed entries are retried."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from skin_analysis.errors import ErrorCode
from skin_analysis.events import EVENT_SOURCE, AnalysisFailed, ErrorDetail, EventPublisher, EventPublishFailed

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sqs import SQSClient


@pytest.fixture
def bus(boto_session: boto3.Session) -> tuple[str, str]:
    """A fresh bus whose every event of ours lands in a fresh queue."""
    events = boto_session.client("events")
    sqs = boto_session.client("sqs")
    name = f"bus-{uuid.uuid4().hex[:8]}"
    events.create_event_bus(Name=name)
    queue_url = sqs.create_queue(QueueName=f"observer-{name}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=name, EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
    events.put_targets(Rule="all", EventBusName=name, Targets=[{"Id": "observer", "Arn": queue_arn}])
    return name, queue_url


def _failure(index: int) -> AnalysisFailed:
    code = ErrorCode.CORRUPT_IMAGE
    return AnalysisFailed(
        analysis_id=f"analysis-{index}",
        quality="sd",
        dst_actions=["acne"],
        occurred_at=datetime.now(UTC),
        error=ErrorDetail(code=code, message=code.meaning, fix=code.fix),
    )


def _drain(sqs: SQSClient, queue_url: str) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            return received
        received += [json.loads(message["Body"]) for message in messages]


def _corrupt_detail_of(client: EventBridgeClient, index: int, times: int) -> list[int]:
    """Fault injection on the wire: the `index`-th entry's Detail is sent malformed on the first `times` calls,
    so moto itself answers HTTP 200 with that entry failed (MalformedDetail) and the others accepted."""
    calls: list[int] = []

    def corrupt(params: dict[str, Any], **_: Any) -> None:
        calls.append(len(params["Entries"]))
        if len(calls) <= times:
            # Copy first: the publisher keeps its own entries intact for the retry, as over a real wire.
            params["Entries"] = [dict(entry) for entry in params["Entries"]]
            params["Entries"][index]["Detail"] = "{not json"

    client.meta.events.register("provide-client-params.events.PutEvents", corrupt)
    return calls


def test_events_reach_subscribers_once(boto_session: boto3.Session, bus: tuple[str, str]) -> None:
    name, queue_url = bus
    EventPublisher(name, boto_session.client("events")).publish([_failure(i) for i in range(12)])
    received = _drain(boto_session.client("sqs"), queue_url)
    assert sorted(event["detail"]["analysis_id"] for event in received) == sorted(f"analysis-{i}" for i in range(12))
    assert {event["detail-type"] for event in received} == {"Skin Analysis Failed"}


def test_a_partially_failed_put_is_retried_for_the_failed_entry_only(
    boto_session: boto3.Session, bus: tuple[str, str]
) -> None:
    # Given EventBridge refuses the second of three entries once
    name, queue_url = bus
    client = boto_session.client("events")
    calls = _corrupt_detail_of(client, index=1, times=1)
    # When the three are published
    EventPublisher(name, client, sleep=lambda _: None).publish([_failure(i) for i in range(3)])
    # Then a second call carried only the refused entry, and every event arrived exactly once
    assert calls == [3, 1]
    received = _drain(boto_session.client("sqs"), queue_url)
    assert sorted(event["detail"]["analysis_id"] for event in received) == ["analysis-0", "analysis-1", "analysis-2"]


def test_a_persistent_failure_raises_after_the_last_attempt(boto_session: boto3.Session, bus: tuple[str, str]) -> None:
    name, _ = bus
    client = boto_session.client("events")
    calls = _corrupt_detail_of(client, index=0, times=99)
    with pytest.raises(EventPublishFailed, match="MalformedDetail") as failed:
        EventPublisher(name, client, max_attempts=3, sleep=lambda _: None).publish([_failure(0)])
    assert calls == [1, 1, 1]
    assert len(failed.value.failures) == 1
