"""Finalize and Record Failure against moto's server and the in-process provider simulator.

The two handlers are imported as Lambda imports them (a fresh module, its own settings from the environment,
the provider API key from Secrets Manager, the rate limiter on its DynamoDB table). Tasks are created and run
to the end in the simulator with a plain client, then an item is put in SUBMITTED with the task id, as the
submitter leaves it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from skin_analysis.events import EVENT_SOURCE
from skin_analysis.models import Analysis, AnalysisStatus, create_analysis, transition
from skin_analysis.provider import PerfectCorpClient, ResultFormat, TaskState, TaskStatus, Timeouts
from skin_analysis.ratelimit import DynamoDBRateLimiter, RateLimitConfig, key_identity
from skin_analysis.settings import load_settings
from skin_analysis_local.simulator import Simulator, SimulatorConfig, SimulatorControl
from skin_analysis_local.tables import create_table_from_template
from skin_analysis_local.template import load_template
from tests.helpers import LambdaContextStandIn, drain_queue, load_function, wait_until
from tests.integration.provider.conftest import jpeg

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from types import ModuleType

    import boto3
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

API_KEY = "sk-sim-test"
RATE = RateLimitConfig(budget=200, window_s=300, read_reserve=40)
SIZES = {"sd": (600, 800), "hd": (1080, 1440)}


@dataclass(frozen=True)
class SubmittedAnalysis:
    """An item in SUBMITTED whose provider task has finished in the simulator."""

    analysis_id: str
    task_id: str
    photo: bytes
    quality: str
    dst_actions: list[str]

    @property
    def image_sha(self) -> str:
        return hashlib.sha256(self.photo).hexdigest()


@dataclass
class FinalizeStack:
    """The resources both functions reach, the simulator, and the two handlers."""

    finalize: ModuleType
    record_failure: ModuleType
    sim: Simulator
    provider: PerfectCorpClient
    analyses_table: str
    rate_limit_table: str
    results_bucket: str
    uploads_bucket: str
    events_queue_url: str
    bus_name: str
    s3: S3Client
    sqs: SQSClient
    limiter: DynamoDBRateLimiter
    received: list[dict[str, Any]] = field(default_factory=list)

    def run_finalize(self, analysis_id: str, task_id: str | None) -> dict[str, Any]:
        """Invoke Finalize Analysis with the payload the state machine sends."""
        progress = {
            "task_id": task_id,
            "attempt": 2,
            "delay_seconds": 5,
            "succeeded": True,
            "failed": False,
            "deadline_passed": False,
        }
        event = {"analysis_id": analysis_id, "progress": progress}
        result: dict[str, Any] = self.finalize.lambda_handler(event, LambdaContextStandIn(function_name="finalize"))
        return result

    def run_record_failure(self, analysis_id: str, state: dict[str, Any]) -> dict[str, Any]:
        """Invoke Record Failure with the payload the state machine sends."""
        event = {"analysis_id": analysis_id, "execution": analysis_id, "state": {"analysis_id": analysis_id, **state}}
        result: dict[str, Any] = self.record_failure.lambda_handler(
            event, LambdaContextStandIn(function_name="record_failure")
        )
        return result

    def submitted(
        self,
        quality: str = "sd",
        actions: Sequence[str] = ("wrinkle", "pore", "skin_type"),
        result_format: ResultFormat = ResultFormat.JSON,
        file_name: str = "selfie.jpg",
        partner_id: str | None = None,
    ) -> SubmittedAnalysis:
        """A finished simulator task and its analysis item in SUBMITTED, as the submitter leaves it."""
        photo = jpeg(*SIZES[quality], shade=uuid.uuid4().int % 200 + 30)
        file_id = self.provider.upload_file(photo, content_type="image/jpeg", file_name=file_name)
        task_id = self.provider.create_task(
            dst_actions=list(actions), src_file_id=file_id, result_format=result_format
        ).task_id
        self.finished(task_id)
        analysis_id = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
        source_key = f"incoming/{analysis_id[:8]}.jpg"
        create_analysis(
            Analysis(
                analysis_id,
                status=AnalysisStatus.RECEIVED,
                quality=quality,
                dst_actions=list(actions),
                partner_id=partner_id,
                source_bucket=self.uploads_bucket,
                source_key=source_key,
                source_version="3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY",
                normalized_key=f"analyses/{analysis_id}/normalized.jpg",
            )
        )
        transition(analysis_id, AnalysisStatus.QUEUED)
        transition(analysis_id, AnalysisStatus.SUBMITTED, {"task_id": task_id})
        return SubmittedAnalysis(analysis_id, task_id, photo, quality, list(actions))

    def finished(self, task_id: str) -> TaskStatus:
        """Poll the simulator (zero processing delay) until the task is terminal."""

        def terminal() -> TaskStatus | None:
            status = self.provider.get_task(task_id)
            return status if status.state is not TaskState.RUNNING else None

        return wait_until(terminal, timeout=5, what=f"task {task_id} finished")

    @property
    def control(self) -> SimulatorControl:
        return SimulatorControl(self.sim.url)

    def item(self, analysis_id: str) -> Analysis:
        return Analysis.get(analysis_id, consistent_read=True)

    def events(self, analysis_id: str, detail_type: str | None = None) -> list[dict[str, Any]]:
        """Events of ours about `analysis_id` seen so far (drains the observer queue into `received`)."""
        self.received.extend(drain_queue(self.sqs, self.events_queue_url))
        return [
            event
            for event in self.received
            if event["detail"]["analysis_id"] == analysis_id
            and (detail_type is None or event["detail-type"] == detail_type)
        ]

    def reads_granted(self) -> int:
        """Permits granted by the shared limiter in the current window."""
        return self.limiter.headroom().granted


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    sim = Simulator(SimulatorConfig(delay=0.0, api_keys=(API_KEY,)))
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def finalize_stack(boto_session: boto3.Session, simulator: Simulator) -> Iterator[FinalizeStack]:
    suffix = uuid.uuid4().hex[:8]
    s3, sqs, events = boto_session.client("s3"), boto_session.client("sqs"), boto_session.client("events")
    dynamodb, secrets = boto_session.client("dynamodb"), boto_session.client("secretsmanager")
    resources = load_template()["Resources"]
    analyses, rate_limit = f"analyses-{suffix}", f"ratelimit-{suffix}"
    results, uploads, bus = f"results-{suffix}", f"uploads-{suffix}", f"bus-{suffix}"
    create_table_from_template(dynamodb, resources["AnalysesTable"]["Properties"], analyses)
    create_table_from_template(dynamodb, resources["RateLimitTable"]["Properties"], rate_limit)
    s3.create_bucket(Bucket=results)
    events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName=f"observer-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "observer", "Arn": queue_arn}])
    secret = secrets.create_secret(Name=f"stack-{suffix}/provider-api-key", SecretString=API_KEY)["ARN"]
    environment = {
        "ANALYSES_TABLE": analyses,
        "EVENT_BUS_NAME": bus,
        "RESULTS_BUCKET": results,
        "RATE_LIMIT_TABLE": rate_limit,
        "PROVIDER_BASE_URL": simulator.url,
        "PROVIDER_API_VERSION": "v2.1",
        "PROVIDER_API_KEY_SECRET_ID": secret,
        "PROVIDER_TIMEOUT_SECONDS": "5",
        "RATE_BUDGET": str(RATE.budget),
        "RATE_WINDOW_SECONDS": str(int(RATE.window_s)),
        "RATE_READ_RESERVE": str(RATE.read_reserve),
        "POWERTOOLS_SERVICE_NAME": "skin-analysis",
        "POWERTOOLS_METRICS_NAMESPACE": "SkinAnalysis",
    }
    provider = PerfectCorpClient(base_url=simulator.url, api_key=API_KEY, timeouts=Timeouts(connect=2, read=5))
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        load_settings.cache_clear()
        yield FinalizeStack(
            finalize=load_function("finalize"),
            record_failure=load_function("record_failure"),
            sim=simulator,
            provider=provider,
            analyses_table=analyses,
            rate_limit_table=rate_limit,
            results_bucket=results,
            uploads_bucket=uploads,
            events_queue_url=queue_url,
            bus_name=bus,
            s3=s3,
            sqs=sqs,
            limiter=DynamoDBRateLimiter(rate_limit, key_identity(API_KEY), RATE),
        )
    load_settings.cache_clear()
