"""The submitter and check status against moto's server and the provider simulator, through their handlers."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from skin_analysis.models import Analysis, AnalysisStatus, bind_tables, create_analysis, transition
from skin_analysis.settings import load_settings
from skin_analysis_local.simulator import Simulator, SimulatorConfig
from skin_analysis_local.simulator.control import SimulatorControl
from skin_analysis_local.tables import create_table_from_template
from skin_analysis_local.template import PROJECT_ROOT, load_template
from tests.helpers import load_function, wait_until
from tests.unit.imaging.corpus import encode, photo

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

    import boto3
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef
    from mypy_boto3_stepfunctions import SFNClient

API_KEY = "sk-sim-test"
WEBHOOK_GRACE_SECONDS = 7

# Only the submission wait of the real machine: Queue For Submission's parameters, then the output as it is.
_QUEUE_STATE = json.loads((PROJECT_ROOT / "statemachine" / "analysis.asl.json").read_text())["States"][
    "Queue For Submission"
]


def _submission_machine(queue_url: str) -> dict[str, Any]:
    state = {key: value for key, value in _QUEUE_STATE.items() if key not in {"Catch", "Next"}}
    state["Parameters"] = {**state["Parameters"], "QueueUrl": queue_url}
    return {"StartAt": "Queue For Submission", "States": {"Queue For Submission": {**state, "End": True}}}


@dataclass
class SubmissionStack:
    """Tables, buckets, the submission queue, a machine waiting on it, the simulator and the handlers."""

    environment: dict[str, str]
    results_bucket: str
    queue_url: str
    machine_arn: str
    s3: S3Client
    sqs: SQSClient
    sfn: SFNClient
    secrets: SecretsManagerClient
    simulator: SimulatorControl
    sim: Simulator
    started: list[str] = field(default_factory=list)

    def handler(self, name: str, **overrides: str) -> ModuleType:
        """A function's app.py imported with the stack's environment (plus overrides), as at a cold start."""
        with pytest.MonkeyPatch.context() as patch:
            for key, value in {**self.environment, **overrides}.items():
                patch.setenv(key, value)
            load_settings.cache_clear()
            module = load_function(name)
        load_settings.cache_clear()
        return module

    def queued_analysis(
        self, *, actions: tuple[str, ...] = ("wrinkle", "acne"), size: tuple[int, int] = (960, 720)
    ) -> str:
        """A QUEUED item with its normalized photo in the results bucket (as ingest leaves it)."""
        analysis_id = uuid.uuid4().hex
        key = f"analyses/{analysis_id}/normalized.jpg"
        # Unique pixels per analysis, so the simulator's tasks-per-source counter is per analysis.
        image = photo(size)
        image.putpixel((0, 0), tuple(int(analysis_id[i : i + 2], 16) for i in (0, 2, 4)))
        self.s3.put_object(Bucket=self.results_bucket, Key=key, Body=encode(image, "JPEG", quality=90))
        quality = "hd" if actions[0].startswith("hd_") else "sd"
        create_analysis(
            Analysis(analysis_id, status=AnalysisStatus.RECEIVED, quality=quality, dst_actions=list(actions))
        )
        transition(analysis_id, AnalysisStatus.QUEUED, {"normalized_key": key})
        return analysis_id

    def secret(self, value: str) -> str:
        """A new Secrets Manager secret holding `value`; its ARN."""
        return self.secrets.create_secret(Name=f"secret-{uuid.uuid4().hex[:8]}", SecretString=value)["ARN"]

    def start(self, analysis_id: str) -> str:
        """Start the waiting machine for the analysis; returns the execution ARN."""
        self.started.append(analysis_id)
        execution_input = {"analysis_id": analysis_id, "limits": {"submission_timeout_seconds": 120}}
        return self.sfn.start_execution(
            stateMachineArn=self.machine_arn, name=analysis_id, input=json.dumps(execution_input)
        )["executionArn"]

    def next_message(self) -> dict[str, Any]:
        """The next submission message of the analysis started last, as the SQS event source would hand it over.

        Messages of earlier tests (deferred ones come back after the retry delay) are deleted on the way.
        """

        def receive() -> MessageTypeDef | None:
            for message in self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", []):
                if json.loads(message["Body"])["analysis_id"] == self.started[-1]:
                    return message
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            return None

        return dict(wait_until(receive, timeout=15, what="a submission message"))

    def sqs_event(self, *messages: dict[str, Any]) -> dict[str, Any]:
        records = [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:submissions",
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
        return {"Records": records}

    def execution(self, arn: str) -> dict[str, Any]:
        """The execution once it has left RUNNING."""

        def finished() -> dict[str, Any] | None:
            described = dict(self.sfn.describe_execution(executionArn=arn))
            return None if described["status"] == "RUNNING" else described

        return wait_until(finished, timeout=15, what="the execution to finish")


@pytest.fixture(scope="module")
def submission_stack(boto_session: boto3.Session) -> Iterator[SubmissionStack]:
    suffix = uuid.uuid4().hex[:8]
    dynamodb, s3, sqs = boto_session.client("dynamodb"), boto_session.client("s3"), boto_session.client("sqs")
    sfn, iam, secrets = (
        boto_session.client("stepfunctions"),
        boto_session.client("iam"),
        boto_session.client("secretsmanager"),
    )
    resources = load_template()["Resources"]
    tables = {
        "ANALYSES_TABLE": ("AnalysesTable", f"analyses-{suffix}"),
        "TASK_INDEX_TABLE": ("TaskIndexTable", f"task-index-{suffix}"),
        "RATE_LIMIT_TABLE": ("RateLimitTable", f"rate-limit-{suffix}"),
    }
    for logical_id, name in tables.values():
        create_table_from_template(dynamodb, resources[logical_id]["Properties"], name)
    bind_tables(analyses=tables["ANALYSES_TABLE"][1], task_index=tables["TASK_INDEX_TABLE"][1])
    results = f"results-{suffix}"
    s3.create_bucket(Bucket=results)
    queue_url = sqs.create_queue(QueueName=f"submissions-{suffix}", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    role = iam.create_role(RoleName=f"machine-{suffix}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    machine = sfn.create_state_machine(
        name=f"submission-{suffix}", definition=json.dumps(_submission_machine(queue_url)), roleArn=role
    )
    secret = secrets.create_secret(Name=f"provider-api-key-{suffix}", SecretString=API_KEY)["ARN"]

    with Simulator(SimulatorConfig(delay=0.0, api_keys=(API_KEY,))) as sim:
        environment = {
            **{variable: name for variable, (_, name) in tables.items()},
            "RESULTS_BUCKET": results,
            "EVENT_BUS_NAME": "unused",
            "PROVIDER_BASE_URL": sim.url,
            "PROVIDER_API_KEY_SECRET_ID": secret,
            "WEBHOOK_GRACE_SECONDS": str(WEBHOOK_GRACE_SECONDS),
            "SUBMISSION_QUEUE_URL": queue_url,
            "SUBMIT_RETRY_DELAY_SECONDS": "1",
            "CREATE_PERMIT_MAX_WAIT_SECONDS": "5",
            "POWERTOOLS_SERVICE_NAME": "skin-analysis",
            "POWERTOOLS_METRICS_NAMESPACE": "SkinAnalysis",
        }
        yield SubmissionStack(
            environment=environment,
            results_bucket=results,
            queue_url=queue_url,
            machine_arn=machine["stateMachineArn"],
            s3=s3,
            sqs=sqs,
            sfn=sfn,
            secrets=secrets,
            simulator=SimulatorControl(sim.url),
            sim=sim,
        )


@pytest.fixture(autouse=True)
def _fresh_simulator(submission_stack: SubmissionStack) -> None:
    submission_stack.simulator.reset()
