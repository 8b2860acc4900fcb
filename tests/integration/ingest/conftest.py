"""The ingest function against moto's server: its real handler module, buckets, table, bus and state machine."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

import pytest

from skin_analysis.events import EVENT_SOURCE
from skin_analysis.settings import load_settings
from skin_analysis_local.tables import create_table_from_template
from skin_analysis_local.template import load_template
from tests.helpers import LambdaContextStandIn, drain_queue, load_function

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

    import boto3
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

# A stand-in for the analysis machine: ingest only needs executions to be startable by name.
_IDLE_MACHINE = {"StartAt": "Accepted", "States": {"Accepted": {"Type": "Pass", "End": True}}}


@dataclass(frozen=True)
class IngestStack:
    """The resources the ingest function reaches, and the function itself."""

    handler: ModuleType
    uploads_bucket: str
    results_bucket: str
    events_queue_url: str
    state_machine_arn: str
    s3: S3Client
    sqs: SQSClient
    sfn: SFNClient

    def s3_event(self, key: str, size: int = 1) -> dict[str, Any]:
        """The notification S3 sends for `key`: key form-encoded, no version id, as moto and AWS both do."""
        record = {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "2026-11-23T09:15:00.000Z",
            "eventName": "ObjectCreated:Put",
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "Incoming",
                "bucket": {"name": self.uploads_bucket, "arn": f"arn:aws:s3:::{self.uploads_bucket}"},
                "object": {"key": quote_plus(key, safe="/"), "size": size, "eTag": "0"},
            },
        }
        return {"Records": [record]}

    def ingest(self, key: str) -> None:
        """Deliver the notification for `key` to the handler, as S3 would."""
        self.handler.lambda_handler(self.s3_event(key), LambdaContextStandIn(function_name="ingest"))

    def executions(self) -> list[str]:
        listed = self.sfn.list_executions(stateMachineArn=self.state_machine_arn)["executions"]
        return [execution["name"] for execution in listed]

    def events(self) -> list[dict[str, Any]]:
        """Every event of ours published so far (drains the observer queue)."""
        return drain_queue(self.sqs, self.events_queue_url)


@pytest.fixture(scope="module")
def ingest_stack(boto_session: boto3.Session) -> Iterator[IngestStack]:
    suffix = uuid.uuid4().hex[:8]
    s3, sqs, sfn = boto_session.client("s3"), boto_session.client("sqs"), boto_session.client("stepfunctions")
    events, iam = boto_session.client("events"), boto_session.client("iam")
    uploads, results, table, bus = f"uploads-{suffix}", f"results-{suffix}", f"analyses-{suffix}", f"bus-{suffix}"
    s3.create_bucket(Bucket=uploads)
    s3.create_bucket(Bucket=results)
    properties = load_template()["Resources"]["AnalysesTable"]["Properties"]
    create_table_from_template(boto_session.client("dynamodb"), properties, table)
    events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName=f"observer-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "observer", "Arn": queue_arn}])
    role = iam.create_role(RoleName=f"machine-{suffix}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    machine = sfn.create_state_machine(name=f"analysis-{suffix}", definition=json.dumps(_IDLE_MACHINE), roleArn=role)
    environment = {
        "ANALYSES_TABLE": table,
        "EVENT_BUS_NAME": bus,
        "RESULTS_BUCKET": results,
        "STATE_MACHINE_ARN": machine["stateMachineArn"],
        "DEFAULT_QUALITY": "sd",
        "DEFAULT_ACTIONS": "wrinkle,pore,texture",
        "MAX_UPLOAD_BYTES": str(8 * 1024 * 1024),
        "POWERTOOLS_SERVICE_NAME": "skin-analysis",
        "POWERTOOLS_METRICS_NAMESPACE": "SkinAnalysis",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        load_settings.cache_clear()
        yield IngestStack(
            handler=load_function("ingest"),
            uploads_bucket=uploads,
            results_bucket=results,
            events_queue_url=queue_url,
            state_machine_arn=machine["stateMachineArn"],
            s3=s3,
            sqs=sqs,
            sfn=sfn,
        )
    load_settings.cache_clear()
