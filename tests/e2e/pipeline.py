"""Driving the whole pipeline on the local stack: upload photos, wait for their items, read their events."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skin_analysis.events import EVENT_SOURCE
from skin_analysis.ingest import ObjectIdentity
from skin_analysis.provider.actions import SKIN_TYPE_ACTIONS, regions_of
from skin_analysis_local.simulator.control import SimulatorControl
from skin_analysis_local.simulator.results import raw_score, ui_score
from tests.helpers import drain_queue, wait_until
from tests.unit.imaging.corpus import encode, photo

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

TERMINAL = ("SUCCEEDED", "FAILED")


def plain_jpeg(size: tuple[int, int] = (1280, 960), seed: str | None = None) -> bytes:
    """A compliant JPEG with no metadata: it passes through normalization byte for byte."""
    image = photo(size)
    marker = hashlib.sha256((seed or uuid.uuid4().hex).encode()).digest()
    image.putpixel((0, 0), (marker[0], marker[1], marker[2]))
    return encode(image, "JPEG", quality=90)


@dataclass
class Pipeline:
    """The local stack seen from outside: S3 in, DynamoDB and EventBridge out, the simulator's counters."""

    info: dict[str, Any]
    s3: S3Client
    dynamodb: DynamoDBClient
    sqs: SQSClient
    sfn: SFNClient
    events_queue_url: str
    simulator: SimulatorControl
    received: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def observe(cls, aws: boto3.Session, info: dict[str, Any]) -> Pipeline:
        """Connect to the stack and subscribe a queue of our own to every event on its bus."""
        endpoint = info["aws_endpoint"]
        sqs = aws.client("sqs", endpoint_url=endpoint)
        events = aws.client("events", endpoint_url=endpoint)
        name = f"e2e-pipeline-{uuid.uuid4().hex[:8]}"
        queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=name, EventBusName=info["event_bus"], EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
        events.put_targets(Rule=name, EventBusName=info["event_bus"], Targets=[{"Id": "observer", "Arn": arn}])
        return cls(
            info=info,
            s3=aws.client("s3", endpoint_url=endpoint),
            dynamodb=aws.client("dynamodb", endpoint_url=endpoint),
            sqs=sqs,
            sfn=aws.client("stepfunctions", endpoint_url=endpoint),
            events_queue_url=queue_url,
            simulator=SimulatorControl(info["provider_url"]),
        )

    def upload(self, data: bytes, key: str | None = None, **metadata: str) -> str:
        """Put a photo under incoming/; returns the analysis id ingest will give it."""
        key = key or f"incoming/e2e/{uuid.uuid4().hex}.jpg"
        bucket = self.info["uploads_bucket"]
        self.s3.put_object(Bucket=bucket, Key=key, Body=data, Metadata=metadata)
        etag = self.s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
        return ObjectIdentity(bucket, key, etag).idempotency_key

    def item(self, analysis_id: str) -> dict[str, Any] | None:
        found = self.dynamodb.get_item(
            TableName=self.info["table"], Key={"analysis_id": {"S": analysis_id}}, ConsistentRead=True
        )
        return found.get("Item")

    def status(self, analysis_id: str) -> str | None:
        item = self.item(analysis_id)
        return item["status"]["S"] if item else None

    def wait_for_task(self, analysis_id: str, timeout: float = 60) -> str:
        """The provider task id, once the submitter has stored it."""

        def task_id() -> str | None:
            item = self.item(analysis_id)
            return item["task_id"]["S"] if item and "task_id" in item else None

        return wait_until(task_id, timeout, interval=0.2, what=f"analysis {analysis_id} to be submitted")

    def expected_scores(self, item: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
        """The simulator's scores for the photo it analysed (it scores by the sha256 of the bytes it fetched)."""
        normalized = self.s3.get_object(Bucket=self.info["results_bucket"], Key=item["normalized_key"]["S"])
        image_sha = hashlib.sha256(normalized["Body"].read()).hexdigest()
        scores: dict[str, dict[str, dict[str, float]]] = {}
        for action in (value["S"] for value in item["dst_actions"]["L"]):
            if action in SKIN_TYPE_ACTIONS:
                continue
            for region in regions_of(action):
                raw = raw_score(image_sha, action, region)
                scores.setdefault(action, {})[region] = {"raw_score": raw, "ui_score": float(ui_score(raw))}
        return scores

    def finished(self, analysis_id: str, timeout: float = 60) -> dict[str, Any]:
        """The item once it is SUCCEEDED or FAILED and its terminal event went out (`announced_at` is written last)."""

        def terminal() -> dict[str, Any] | None:
            item = self.item(analysis_id)
            return item if item and item["status"]["S"] in TERMINAL and "announced_at" in item else None

        return wait_until(terminal, timeout, interval=0.2, what=f"analysis {analysis_id} to finish")

    def events_of(self, analysis_id: str, settle: float = 1.0) -> list[dict[str, Any]]:
        """Every event received for the analysis, after waiting `settle` s for stragglers (duplicates show)."""
        time.sleep(settle)
        self._drain()
        return [event for event in self.received if event["detail"].get("analysis_id") == analysis_id]

    def _drain(self) -> None:
        self.received.extend(drain_queue(self.sqs, self.events_queue_url))

    def execution_history(self, analysis_id: str, machine_arn: str) -> list[dict[str, Any]]:
        execution_arn = f"{machine_arn.replace(':stateMachine:', ':execution:')}:{analysis_id}"
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = self.sfn.get_execution_history(**kwargs)
            events.extend(dict(event) for event in page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]
