"""The webhook handler against moto's server: the tables, the secret, and a machine waiting as the real one does.

The machine is the real ASL's "Wait For Webhook" state (its parameters, timeout path, retries and catches) with
"Check Status" and "Record Failure" replaced by Pass and Fail states, so an execution shows exactly how the wait
ended: completed by the webhook, or caught (the condition failed, or the delay ran out).
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from aws_lambda_powertools.utilities.parameters import clear_caches

from skin_analysis.models import Analysis, AnalysisStatus, TaskIndexEntry, bind_tables, create_analysis, transition
from skin_analysis.settings import load_settings
from skin_analysis_local.tables import create_table_from_template
from skin_analysis_local.template import PROJECT_ROOT, load_template
from tests.helpers import LambdaContextStandIn, load_function, wait_until
from tests.unit.webhooks.signing import new_secret, notification_body, signed_headers

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

    import boto3
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_stepfunctions import SFNClient

_ASL = json.loads((PROJECT_ROOT / "statemachine" / "analysis.asl.json").read_text())
_SAMPLE_EVENT = json.loads((PROJECT_ROOT / "events" / "webhook" / "perfect-corp-success.json").read_text())


def wait_machine(analyses_table: str) -> dict[str, Any]:
    """The real Wait For Webhook state, its next states replaced by stand-ins that end the execution."""
    state = copy.deepcopy(_ASL["States"]["Wait For Webhook"])
    state["Parameters"]["TableName"] = analyses_table
    return {
        "StartAt": "Wait For Webhook",
        "States": {
            "Wait For Webhook": state,
            "Did The Webhook Report Success?": _ASL["States"]["Did The Webhook Report Success?"],
            "Finalize Analysis": {"Type": "Pass", "End": True},
            "Check Status": {"Type": "Pass", "End": True},
            "Record Failure": {"Type": "Fail", "Error": "RecordFailure"},
        },
    }


@dataclass(frozen=True)
class WebhookContext(LambdaContextStandIn):
    """The context stand-in, plus the remaining time Powertools Idempotency bounds in-progress records by."""

    function_name: str = "webhook"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@dataclass
class WebhookStack:
    """Tables, the webhook secret, the waiting machine and the handler."""

    environment: dict[str, str]
    secret_id: str
    machine_arn: str
    dynamodb: DynamoDBClient
    sfn: SFNClient
    secrets: SecretsManagerClient
    current_secret: str
    handlers: dict[str, ModuleType] = field(default_factory=dict)

    def handler(self, **overrides: str) -> ModuleType:
        """functions/webhook/app.py imported with the stack's environment (plus overrides), as at a cold start."""
        with pytest.MonkeyPatch.context() as patch:
            for key, value in {**self.environment, **overrides}.items():
                patch.setenv(key, value)
            load_settings.cache_clear()
            module = load_function("webhook")
        load_settings.cache_clear()
        return module

    @property
    def warm(self) -> ModuleType:
        """One handler module reused across invocations, like a warm execution environment."""
        if "warm" not in self.handlers:
            self.handlers["warm"] = self.handler()
        return self.handlers["warm"]

    def store_secret(self, current: str, previous: str | None = None) -> None:
        """What the operator stores; Powertools' cache is cleared as if its max age had passed."""
        self.secrets.put_secret_value(
            SecretId=self.secret_id, SecretString=json.dumps({"current": current, "previous": previous})
        )
        clear_caches()  # type: ignore[no-untyped-call]

    def queued_analysis(self) -> str:
        """An analysis waiting in the submission queue (no task recorded yet)."""
        analysis_id = uuid.uuid4().hex
        create_analysis(Analysis(analysis_id, status=AnalysisStatus.RECEIVED, quality="sd", dst_actions=["wrinkle"]))
        transition(analysis_id, AnalysisStatus.QUEUED)
        return analysis_id

    def submitted_analysis(self, status: AnalysisStatus = AnalysisStatus.SUBMITTED) -> tuple[str, str]:
        """An analysis with its provider task recorded in the index (as the submitter leaves it)."""
        analysis_id, task_id = self.queued_analysis(), f"task-{uuid.uuid4().hex}"
        transition(analysis_id, AnalysisStatus.SUBMITTED, {"task_id": task_id})
        TaskIndexEntry(task_id, analysis_id=analysis_id).save()
        if status is not AnalysisStatus.SUBMITTED:
            transition(analysis_id, status)
        return analysis_id, task_id

    def start_wait(self, analysis_id: str, delay_seconds: int = 60) -> str:
        """Start the machine: Wait For Webhook stores its token with `attribute_not_exists(webhook_at)`."""
        execution_input = {"analysis_id": analysis_id, "progress": {"delay_seconds": delay_seconds}}
        return self.sfn.start_execution(
            stateMachineArn=self.machine_arn, name=uuid.uuid4().hex, input=json.dumps(execution_input)
        )["executionArn"]

    def token_stored(self, analysis_id: str) -> str:
        """Wait until the execution's token is on the item; the token."""

        def stored() -> str | None:
            return Analysis.get(analysis_id, consistent_read=True).task_token

        return wait_until(stored, timeout=10, what="the wait to store its token")

    def finished(self, arn: str, timeout: float = 10) -> dict[str, Any]:
        """The execution once it has left RUNNING."""

        def done() -> dict[str, Any] | None:
            described = dict(self.sfn.describe_execution(executionArn=arn))
            return None if described["status"] == "RUNNING" else described

        return wait_until(done, timeout=timeout, what="the execution to finish")

    def status(self, arn: str) -> str:
        return self.sfn.describe_execution(executionArn=arn)["status"]

    def event(
        self,
        task_id: str,
        *secrets_: str,
        webhook_id: str | None = None,
        timestamp: int | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A REST API proxy event for a delivery about `task_id`, signed with `secrets_` (default: current)."""
        payload = notification_body(task_id) if body is None else body
        signed = signed_headers(
            payload,
            *(secrets_ or (self.current_secret,)),
            webhook_id=webhook_id or f"msg_{task_id}:{int(time.time())}",
            timestamp=timestamp,
        )
        event: dict[str, Any] = copy.deepcopy(_SAMPLE_EVENT)
        event["headers"] = {"Content-Type": "application/json", **(signed if headers is None else headers)}
        event["multiValueHeaders"] = {name: [value] for name, value in event["headers"].items()}
        event["body"] = payload.decode("utf-8", errors="surrogateescape")
        return event

    def deliver(self, event: dict[str, Any], handler: ModuleType | None = None) -> dict[str, Any]:
        """Invoke the handler with the event; its proxy response."""
        response: dict[str, Any] = (handler or self.warm).lambda_handler(event, WebhookContext())
        return response

    def item(self, analysis_id: str) -> Analysis:
        return Analysis.get(analysis_id, consistent_read=True)

    def idempotency_records(self) -> list[dict[str, Any]]:
        table = self.environment["IDEMPOTENCY_TABLE"]
        return [dict(item) for item in self.dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]]


@pytest.fixture(scope="module")
def webhook_stack(boto_session: boto3.Session) -> Iterator[WebhookStack]:
    suffix = uuid.uuid4().hex[:8]
    dynamodb, sfn = boto_session.client("dynamodb"), boto_session.client("stepfunctions")
    iam, secrets = boto_session.client("iam"), boto_session.client("secretsmanager")
    resources = load_template()["Resources"]
    tables = {
        "ANALYSES_TABLE": ("AnalysesTable", f"analyses-{suffix}"),
        "TASK_INDEX_TABLE": ("TaskIndexTable", f"task-index-{suffix}"),
        "IDEMPOTENCY_TABLE": ("IdempotencyTable", f"idempotency-{suffix}"),
    }
    for logical_id, name in tables.values():
        create_table_from_template(dynamodb, resources[logical_id]["Properties"], name)
    bind_tables(analyses=tables["ANALYSES_TABLE"][1], task_index=tables["TASK_INDEX_TABLE"][1])
    current = new_secret()
    secret_id = secrets.create_secret(
        Name=f"webhook-secret-{suffix}", SecretString=json.dumps({"current": current, "previous": None})
    )["ARN"]
    role = iam.create_role(RoleName=f"webhook-machine-{suffix}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    machine = sfn.create_state_machine(
        name=f"wait-for-webhook-{suffix}",
        definition=json.dumps(wait_machine(tables["ANALYSES_TABLE"][1])),
        roleArn=role,
    )
    environment = {
        **{variable: name for variable, (_, name) in tables.items()},
        "WEBHOOK_SECRET_ID": secret_id,
        "POWERTOOLS_SERVICE_NAME": "skin-analysis",
        "POWERTOOLS_METRICS_NAMESPACE": "SkinAnalysis",
    }
    clear_caches()  # type: ignore[no-untyped-call]
    stack = WebhookStack(environment, secret_id, machine["stateMachineArn"], dynamodb, sfn, secrets, current)
    yield stack
    for execution in sfn.list_executions(stateMachineArn=stack.machine_arn, statusFilter="RUNNING")["executions"]:
        sfn.stop_execution(executionArn=execution["executionArn"])
