"""The api function against moto's server and the provider simulator, invoked with API Gateway proxy events.

The handler module is imported as Lambda imports it (its settings from the environment, the provider key from
Secrets Manager on first DELETE). Partners are Partners items with made-up API key ids: API Gateway's own key
check is the local stack's job (e2e); here the event's `requestContext.identity.apiKeyId` is what it filled in.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from skin_analysis.events import EVENT_SOURCE
from skin_analysis.models import Analysis, AnalysisStatus, Partner, bind_tables, utc_now
from skin_analysis.models.task_index import TaskIndexEntry
from skin_analysis.provider import PerfectCorpClient, TaskState, TaskStatus, Timeouts
from skin_analysis.settings import load_settings
from skin_analysis_local.image_fixtures import ImageFixtureServer, LocalCertificates, make_certificates
from skin_analysis_local.simulator import Simulator, SimulatorConfig, SimulatorControl
from skin_analysis_local.tables import create_table_from_template
from skin_analysis_local.template import PROJECT_ROOT, load_template
from tests.helpers import LambdaContextStandIn, drain_queue, load_function, wait_until
from tests.integration.provider.conftest import jpeg

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

    import boto3
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

API_KEY = "sk-sim-test"
UPLOAD_URL_TTL_SECONDS = 900
UPLOAD_GRACE_SECONDS = 120
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
_SAMPLE_EVENT = json.loads((PROJECT_ROOT / "events" / "api" / "get-analysis.json").read_text())
_SQS_SAMPLE = json.loads((PROJECT_ROOT / "events" / "fetch_image" / "sqs-image-url.json").read_text())


@dataclass(frozen=True)
class ApiContext(LambdaContextStandIn):
    """The context with the remaining time Powertools Idempotency bounds in-progress records with."""

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


@dataclass(frozen=True)
class Answer:
    """What the caller got: status, headers and the JSON body (None when empty)."""

    status: int
    headers: dict[str, str]
    body: Any

    @property
    def problem(self) -> dict[str, Any]:
        """The problem-details body, checked to be one."""
        assert self.headers.get("Content-Type") == "application/problem+json", self.headers
        assert {"type", "title", "status", "detail", "code"} <= set(self.body), self.body
        assert self.body["status"] == self.status
        return dict(self.body)


@dataclass(frozen=True)
class PartnerKey:
    """A registered partner and the key id API Gateway would put in its requests."""

    partner_id: str
    api_key_id: str


def proxy_event(
    method: str,
    path: str,
    *,
    api_key_id: str | None,
    body: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API proxy event shaped like events/api/*.json (and like API Gateway's own)."""
    resource, parameters = path, None
    if path.startswith("/v1/analyses/"):
        resource, parameters = "/v1/analyses/{analysis_id}", {"analysis_id": path.removeprefix("/v1/analyses/")}
    all_headers = {"Content-Type": "application/json", **(headers or {})} if body is not None else dict(headers or {})
    context = json.loads(json.dumps(_SAMPLE_EVENT["requestContext"]))
    context.update(resourcePath=resource, httpMethod=method, path=f"/dev{path}", requestId=str(uuid.uuid4()))
    context["identity"]["apiKeyId"] = api_key_id
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()} if query else None,
        "pathParameters": parameters,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": False,
    }


@dataclass
class ApiStack:
    """The resources the api function reaches, the simulator, and the handler."""

    handler: ModuleType
    s3: S3Client
    uploads_bucket: str
    results_bucket: str
    tables: dict[str, str]
    sim: Simulator
    provider: PerfectCorpClient
    sqs: SQSClient
    fetch_queue_url: str
    events_queue_url: str
    fetcher: ModuleType
    images: ImageFixtureServer

    def bind(self) -> None:
        """Point the models at this stack's tables (other test modules bind theirs)."""
        bind_tables(
            analyses=self.tables["ANALYSES_TABLE"],
            partners=self.tables["PARTNERS_TABLE"],
            task_index=self.tables["TASK_INDEX_TABLE"],
        )

    def call(
        self,
        method: str,
        path: str,
        partner: PartnerKey | None,
        *,
        json_body: Any = None,
        raw_body: str | None = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Invoke the handler as API Gateway would for `partner` (None: no key id in the event)."""
        body = raw_body if raw_body is not None else (json.dumps(json_body) if json_body is not None else None)
        event = proxy_event(
            method, path, api_key_id=partner.api_key_id if partner else None, body=body, query=query, headers=headers
        )
        result = self.handler.lambda_handler(event, ApiContext(function_name="api"))
        response_headers = {**result.get("headers", {})}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            response_headers.setdefault(name, values[-1])
        text = result.get("body") or ""
        return Answer(result["statusCode"], response_headers, json.loads(text) if text else None)

    def partner(self, name: str = "partner") -> PartnerKey:
        """A new partner with one key."""
        key = PartnerKey(f"{name}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex[:10])
        Partner(api_key_id=key.api_key_id, partner_id=key.partner_id, tier="basic").save()
        return key

    def create(self, partner: PartnerKey, **body: Any) -> dict[str, Any]:
        """POST /v1/analyses (SD wrinkle + pore unless told), asserting 201; the body."""
        request = {"quality": "sd", "dst_actions": ["wrinkle", "pore"], **body}
        answer = self.call("POST", "/v1/analyses", partner, json_body=request)
        assert answer.status == 201, answer
        return dict(answer.body)

    def stored(
        self,
        partner: PartnerKey | None,
        status: AnalysisStatus,
        *,
        age: timedelta = timedelta(0),
        task_id: str | None = None,
        **attributes: Any,
    ) -> Analysis:
        """An item as the pipeline would have left it (any status), its normalized photo and masks stored."""
        analysis_id = uuid.uuid4().hex
        created = utc_now() - age
        item = Analysis(
            analysis_id,
            status=status,
            partner_id=partner.partner_id if partner else None,
            quality="sd",
            dst_actions=["wrinkle", "pore"],
            source_bucket=self.uploads_bucket,
            source_key=f"partners/{partner.partner_id if partner else 'x'}/{analysis_id}.jpg",
            created_at=created,
            task_id=task_id,
            **attributes,
        )
        item.save()
        if task_id is not None:
            TaskIndexEntry(task_id, analysis_id=analysis_id).save()
        if status is not AnalysisStatus.AWAITING_UPLOAD:
            self.s3.put_object(Bucket=self.uploads_bucket, Key=item.source_key or "", Body=b"original")
            item.normalized_key = f"analyses/{analysis_id}/normalized.jpg"
            self.s3.put_object(Bucket=self.results_bucket, Key=item.normalized_key, Body=b"normalized")
            item.save()
        return item

    def succeeded(self, partner: PartnerKey, *, task_id: str | None = None) -> Analysis:
        """A SUCCEEDED item with scores, a skin type and two masks in the results bucket."""
        item = self.stored(partner, AnalysisStatus.SUCCEEDED, task_id=task_id)
        masks = {}
        for name in ("wrinkle", "pore"):
            key = f"analyses/{item.analysis_id}/masks/{name}.png"
            self.s3.put_object(Bucket=self.results_bucket, Key=key, Body=b"\x89PNG\r\n\x1a\n" + name.encode())
            masks[name] = key
        item.update(
            actions=[
                Analysis.mask_keys.set(masks),
                Analysis.scores.set(
                    {
                        "wrinkle": {"whole": {"raw_score": 72.5, "ui_score": 81}},
                        "pore": {"whole": {"raw_score": 64.0, "ui_score": 75}},
                    }
                ),
                Analysis.skin_type.set({"whole": "Oily"}),
                Analysis.skin_age.set(31),
                Analysis.overall_score.set(78.5),
            ]
        )
        return item

    def finished_task(self) -> str:
        """A task the simulator has finished (File API upload, zero processing delay); its id."""
        file_id = self.provider.upload_file(jpeg(600, 800), content_type="image/jpeg", file_name="selfie.jpg")
        task_id = self.provider.create_task(dst_actions=["wrinkle"], src_file_id=file_id).task_id

        def terminal() -> TaskStatus | None:
            status = self.provider.get_task(task_id)
            return status if status.state is not TaskState.RUNNING else None

        wait_until(terminal, timeout=5, what=f"task {task_id} finished")
        return task_id

    def listing(self, partner: PartnerKey, **query: str) -> list[str]:
        """Ids of every analysis GET /v1/analyses lists for `partner`, following `next` to the end."""
        ids: list[str] = []
        params = dict(query)
        while True:
            answer = self.call("GET", "/v1/analyses", partner, query=params)
            assert answer.status == 200, answer
            ids.extend(entry["analysis_id"] for entry in answer.body["items"])
            if not answer.body.get("next"):
                return ids
            params = {**query, "next": answer.body["next"]}

    @staticmethod
    def decoded_policy(fields: dict[str, str]) -> dict[str, Any]:
        """The POST policy document the form's signature covers."""
        policy: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
        return policy

    def fetch_requests(self) -> list[dict[str, Any]]:
        """The image_url fetch requests the API queued since the last call (each taken off the queue)."""
        return drain_queue(self.sqs, self.fetch_queue_url)

    def run_fetcher(self, request: dict[str, Any]) -> dict[str, Any]:
        """Deliver one fetch request to the fetch_image handler as its SQS event source would; its answer."""
        event = json.loads(json.dumps(_SQS_SAMPLE))
        event["Records"][0]["body"] = json.dumps(request)
        answer: dict[str, Any] = self.fetcher.lambda_handler(event, LambdaContextStandIn(function_name="fetch"))
        return answer

    def events(self) -> list[dict[str, Any]]:
        """Events published on the bus since the last call."""
        return drain_queue(self.sqs, self.events_queue_url)

    @property
    def control(self) -> SimulatorControl:
        return SimulatorControl(self.sim.url)

    def objects(self, bucket: str, prefix: str) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return [entry["Key"] for entry in listed.get("Contents", [])]

    def item(self, analysis_id: str) -> Analysis | None:
        try:
            return Analysis.get(analysis_id, consistent_read=True)
        except Analysis.DoesNotExist:
            return None


@pytest.fixture(scope="module")
def image_certificates(tmp_path_factory: pytest.TempPathFactory) -> LocalCertificates:
    return make_certificates(tmp_path_factory.mktemp("image-tls"))


@pytest.fixture(scope="module")
def image_server(
    tmp_path_factory: pytest.TempPathFactory, image_certificates: LocalCertificates
) -> Iterator[ImageFixtureServer]:
    """The allow-listed HTTPS fixture server image_url tests fetch from (files put in its `root`)."""
    with ImageFixtureServer(tmp_path_factory.mktemp("image-root"), image_certificates) as server:
        yield server


@pytest.fixture(scope="module")
def api_stack(
    boto_session: boto3.Session, image_server: ImageFixtureServer, image_certificates: LocalCertificates
) -> Iterator[ApiStack]:
    suffix = uuid.uuid4().hex[:8]
    s3, dynamodb, secrets = (
        boto_session.client("s3"),
        boto_session.client("dynamodb"),
        boto_session.client("secretsmanager"),
    )
    sqs, events = boto_session.client("sqs"), boto_session.client("events")
    fetch_queue_url = sqs.create_queue(QueueName=f"image-fetches-{suffix}")["QueueUrl"]
    bus = f"bus-{suffix}"
    events.create_event_bus(Name=bus)
    events_queue_url = sqs.create_queue(QueueName=f"observer-{suffix}")["QueueUrl"]
    events_queue_arn = sqs.get_queue_attributes(QueueUrl=events_queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "observer", "Arn": events_queue_arn}])
    resources = load_template()["Resources"]
    tables = {
        "ANALYSES_TABLE": ("AnalysesTable", f"analyses-{suffix}"),
        "PARTNERS_TABLE": ("PartnersTable", f"partners-{suffix}"),
        "TASK_INDEX_TABLE": ("TaskIndexTable", f"task-index-{suffix}"),
        "RATE_LIMIT_TABLE": ("RateLimitTable", f"rate-limit-{suffix}"),
        "IDEMPOTENCY_TABLE": ("IdempotencyTable", f"idempotency-{suffix}"),
    }
    for logical_id, name in tables.values():
        create_table_from_template(dynamodb, resources[logical_id]["Properties"], name)
    uploads, results = f"uploads-{suffix}", f"results-{suffix}"
    s3.create_bucket(Bucket=uploads)
    s3.create_bucket(Bucket=results)
    secret = secrets.create_secret(Name=f"stack-{suffix}/provider-api-key", SecretString=API_KEY)["ARN"]
    with Simulator(SimulatorConfig(delay=0.0, api_keys=(API_KEY,))) as sim:
        environment = {
            **{variable: name for variable, (_, name) in tables.items()},
            "UPLOADS_BUCKET": uploads,
            "RESULTS_BUCKET": results,
            "UPLOAD_URL_TTL_SECONDS": str(UPLOAD_URL_TTL_SECONDS),
            "UPLOAD_GRACE_SECONDS": str(UPLOAD_GRACE_SECONDS),
            "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
            # As `local up` sets them: the fixture server alone passes the address guard, its CA is trusted.
            "IMAGE_URL_ALLOW_HOSTS": image_server.authority,
            "IMAGE_URL_CA_BUNDLE": str(image_certificates.ca_bundle),
            "IMAGE_URL_TIMEOUT_SECONDS": "3",
            "FETCH_QUEUE_URL": fetch_queue_url,
            "EVENT_BUS_NAME": bus,
            "RETENTION_DAYS": "30",
            "PROVIDER_BASE_URL": sim.url,
            "PROVIDER_API_VERSION": "v2.1",
            "PROVIDER_API_KEY_SECRET_ID": secret,
            "PROVIDER_TIMEOUT_SECONDS": "5",
            "RATE_BUDGET": "200",
            "RATE_WINDOW_SECONDS": "300",
            "RATE_READ_RESERVE": "40",
            "POWERTOOLS_SERVICE_NAME": "skin-analysis",
            "POWERTOOLS_METRICS_NAMESPACE": "SkinAnalysis",
        }
        with pytest.MonkeyPatch.context() as patch:
            for name, value in environment.items():
                patch.setenv(name, value)
            load_settings.cache_clear()
            handler = load_function("api")
            load_settings.cache_clear()
            fetcher = load_function("fetch_image")
        load_settings.cache_clear()
        provider = PerfectCorpClient(base_url=sim.url, api_key=API_KEY, timeouts=Timeouts(connect=2, read=5))
        yield ApiStack(
            handler=handler,
            s3=s3,
            uploads_bucket=uploads,
            results_bucket=results,
            tables={variable: name for variable, (_, name) in tables.items()},
            sim=sim,
            provider=provider,
            sqs=sqs,
            fetch_queue_url=fetch_queue_url,
            events_queue_url=events_queue_url,
            fetcher=fetcher,
            images=image_server,
        )


@pytest.fixture(autouse=True)
def _bound(request: pytest.FixtureRequest) -> None:
    """Tests of the api function get its tables bound and a fresh simulator; others do not start the stack."""
    if "api_stack" in request.fixturenames:
        stack: ApiStack = request.getfixturevalue("api_stack")
        stack.bind()
        stack.control.reset()
