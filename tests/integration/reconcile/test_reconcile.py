"""The Reconcile handler against moto's server: the stuck-analysis metric, stranded analyses, missed uploads.

Items are written with past `created_at`/`updated_at` (as a sweep finds them long after the fact); executions
run in moto's state machine interpreter, on a machine that only waits, so an execution stays RUNNING until a
test stops it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from skin_analysis.errors import ErrorCode
from skin_analysis.events import EVENT_SOURCE
from skin_analysis.models import Analysis, AnalysisStatus, utc_now
from skin_analysis.reconcile import ExecutionLookup, Reconciler
from skin_analysis.settings import load_settings
from skin_analysis_local.tables import create_table_from_template
from skin_analysis_local.template import load_template
from tests.helpers import LambdaContextStandIn, drain_queue, load_function, wait_until
from tests.integration.webhooks.metrics import emitted_metrics

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

    import boto3
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

STRANDED_AFTER = 900
UPLOAD_TTL = 900
FAILED = "Skin Analysis Failed"
_WAITING_MACHINE = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 60, "End": True}}})


@dataclass
class ReconcileStack:
    handler: ModuleType
    sfn: SFNClient
    sqs: SQSClient
    machine_arn: str
    events_queue_url: str
    received: list[dict[str, Any]] = field(default_factory=list)

    def sweep(self, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], dict[str, int]]:
        """One scheduled invoke: its answer and the metrics it printed."""
        capsys.readouterr()
        answer: dict[str, Any] = self.handler.lambda_handler({}, LambdaContextStandIn(function_name="reconcile"))
        return answer, dict(emitted_metrics(capsys.readouterr().out))

    def item(
        self, status: AnalysisStatus, *, age: timedelta, quiet: timedelta | None = None, partner: bool = False
    ) -> str:
        """An analysis created `age` ago and last updated `quiet` ago (default: as long as it exists)."""
        analysis_id = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
        now = utc_now()
        Analysis(
            analysis_id,
            status=status,
            quality="sd",
            dst_actions=["wrinkle"],
            partner_id="partner-1" if partner else None,
            task_id="task-1" if status in {AnalysisStatus.SUBMITTED, AnalysisStatus.RUNNING} else None,
            normalized_key=None if partner else f"analyses/{analysis_id}/normalized.jpg",
            created_at=now - age,
            updated_at=now - (quiet if quiet is not None else age),
        ).save()
        return analysis_id

    def start_execution(self, analysis_id: str) -> str:
        return self.sfn.start_execution(stateMachineArn=self.machine_arn, name=analysis_id, input="{}")["executionArn"]

    def stop_execution(self, execution_arn: str) -> None:
        self.sfn.stop_execution(executionArn=execution_arn, error="Operator.Stopped")
        wait_until(
            lambda: self.sfn.describe_execution(executionArn=execution_arn)["status"] == "ABORTED", 5, what="stop"
        )

    def events(self, analysis_id: str) -> list[dict[str, Any]]:
        self.received.extend(drain_queue(self.sqs, self.events_queue_url))
        return [event for event in self.received if event["detail"]["analysis_id"] == analysis_id]


@pytest.fixture
def stack(boto_session: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReconcileStack]:
    suffix = uuid.uuid4().hex[:8]
    sqs, events, sfn = boto_session.client("sqs"), boto_session.client("events"), boto_session.client("stepfunctions")
    table, bus = f"analyses-{suffix}", f"bus-{suffix}"
    resources = load_template()["Resources"]
    create_table_from_template(boto_session.client("dynamodb"), resources["AnalysesTable"]["Properties"], table)
    events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName=f"observer-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "observer", "Arn": queue_arn}])
    role = "arn:aws:iam::123456789012:role/reconcile-test"
    machine_arn = sfn.create_state_machine(name=f"analysis-{suffix}", definition=_WAITING_MACHINE, roleArn=role)[
        "stateMachineArn"
    ]
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "skin-analysis")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "SkinAnalysis")
    monkeypatch.setenv("ANALYSES_TABLE", table)
    monkeypatch.setenv("EVENT_BUS_NAME", bus)
    monkeypatch.setenv("STATE_MACHINE_ARN", machine_arn)
    monkeypatch.setenv("UPLOAD_URL_TTL_SECONDS", str(UPLOAD_TTL))
    monkeypatch.setenv("RECONCILE_STRANDED_AFTER_SECONDS", str(STRANDED_AFTER))
    load_settings.cache_clear()
    yield ReconcileStack(load_function("reconcile"), sfn, sqs, machine_arn, queue_url)
    load_settings.cache_clear()


def test_no_live_analysis_publishes_an_age_of_zero(stack: ReconcileStack, capsys: pytest.CaptureFixture[str]) -> None:
    # Given only ended analyses
    stack.item(AnalysisStatus.SUCCEEDED, age=timedelta(hours=5))
    # When the reconciler sweeps
    _, metrics = stack.sweep(capsys)
    # Then the oldest live analysis is 0 s old
    assert metrics["OldestNonTerminalAnalysisAgeSeconds"] == 0


def test_the_age_published_is_the_oldest_live_analysis(
    stack: ReconcileStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given live analyses in several statuses, the oldest QUEUED for 2 hours, each with a running execution
    ids = [
        stack.item(AnalysisStatus.RUNNING, age=timedelta(minutes=30)),
        stack.item(AnalysisStatus.QUEUED, age=timedelta(hours=2)),
        stack.item(AnalysisStatus.SUBMITTED, age=timedelta(hours=1)),
    ]
    for analysis_id in ids:
        stack.start_execution(analysis_id)
    # When the reconciler sweeps
    _, metrics = stack.sweep(capsys)
    # Then it publishes the QUEUED one's age, and fails nothing
    assert 7200 <= metrics["OldestNonTerminalAnalysisAgeSeconds"] < 7260
    assert metrics["StrandedAnalysesFailed"] == 0
    assert [Analysis.get(i).status for i in ids] == [
        AnalysisStatus.RUNNING,
        AnalysisStatus.QUEUED,
        AnalysisStatus.SUBMITTED,
    ]


def test_a_stranded_analysis_whose_execution_was_stopped_fails_once_with_execution_stopped(
    stack: ReconcileStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a SUBMITTED analysis untouched for an hour whose execution an operator stopped
    analysis_id = stack.item(AnalysisStatus.SUBMITTED, age=timedelta(hours=1))
    stack.stop_execution(stack.start_execution(analysis_id))
    # When the reconciler sweeps twice
    first, metrics = stack.sweep(capsys)
    stack.sweep(capsys)
    # Then the analysis is FAILED execution_stopped, keeps its task for the replay, and was announced once
    item = Analysis.get(analysis_id, consistent_read=True)
    assert (item.status, item.error_code, item.task_id) == (AnalysisStatus.FAILED, "execution_stopped", "task-1")
    assert item.error_message == f"Its execution {analysis_id} ended ABORTED while the analysis was SUBMITTED."
    assert (first["stranded_failed"], metrics["StrandedAnalysesFailed"]) == (1, 1)
    events = wait_until(lambda: stack.events(analysis_id) or None, 5, what="the Failed event")
    assert [event["detail-type"] for event in events] == [FAILED]
    assert events[0]["detail"]["error"]["code"] == ErrorCode.EXECUTION_STOPPED


def test_a_live_analysis_with_no_execution_is_stranded(
    stack: ReconcileStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a RECEIVED analysis untouched for an hour that no execution ever picked up
    analysis_id = stack.item(AnalysisStatus.RECEIVED, age=timedelta(hours=1))
    # When the reconciler sweeps
    stack.sweep(capsys)
    # Then it is FAILED execution_stopped
    item = Analysis.get(analysis_id, consistent_read=True)
    assert (item.status, item.error_code) == (AnalysisStatus.FAILED, "execution_stopped")


def test_a_quiet_analysis_whose_execution_still_runs_is_left_alone(
    stack: ReconcileStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a QUEUED analysis untouched for an hour whose execution is still running (waiting for a permit)
    analysis_id = stack.item(AnalysisStatus.QUEUED, age=timedelta(hours=1))
    stack.start_execution(analysis_id)
    # When the reconciler sweeps
    answer, _ = stack.sweep(capsys)
    # Then it stays QUEUED
    assert Analysis.get(analysis_id, consistent_read=True).status is AnalysisStatus.QUEUED
    assert answer["stranded_failed"] == 0


def test_a_recently_updated_analysis_is_not_checked(stack: ReconcileStack, capsys: pytest.CaptureFixture[str]) -> None:
    # Given an analysis created long ago but updated a minute ago, whose execution was stopped
    analysis_id = stack.item(AnalysisStatus.SUBMITTED, age=timedelta(hours=1), quiet=timedelta(minutes=1))
    stack.stop_execution(stack.start_execution(analysis_id))
    # When the reconciler sweeps
    answer, _ = stack.sweep(capsys)
    # Then it is left SUBMITTED: only analyses quiet for the stranded threshold are judged
    assert Analysis.get(analysis_id, consistent_read=True).status is AnalysisStatus.SUBMITTED
    assert answer["stranded_failed"] == 0


def test_a_partner_analysis_past_its_upload_window_fails_with_upload_missing(
    stack: ReconcileStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given partner analyses awaiting their upload: one past its URL's lifetime and the threshold, one just past
    # the lifetime (an upload may still be in ingest)
    missed = stack.item(
        AnalysisStatus.AWAITING_UPLOAD, age=timedelta(seconds=UPLOAD_TTL + STRANDED_AFTER + 5), partner=True
    )
    recent = stack.item(AnalysisStatus.AWAITING_UPLOAD, age=timedelta(seconds=UPLOAD_TTL + 60), partner=True)
    # When the reconciler sweeps
    _, metrics = stack.sweep(capsys)
    # Then only the first is FAILED upload_missing, with the message the API shows, and announced
    item = Analysis.get(missed, consistent_read=True)
    assert (item.status, item.error_code) == (AnalysisStatus.FAILED, "upload_missing")
    assert (
        item.error_message
        == f"No photo was uploaded before {(item.created_at + timedelta(seconds=UPLOAD_TTL)).isoformat()}."
    )
    assert Analysis.get(recent, consistent_read=True).status is AnalysisStatus.AWAITING_UPLOAD
    assert metrics["MissedUploadsFailed"] == 1
    events = wait_until(lambda: stack.events(missed) or None, 5, what="the Failed event")
    assert [event["detail"]["error"]["code"] for event in events] == ["upload_missing"]


def test_a_backlog_beyond_the_describe_budget_waits_for_the_next_sweep(stack: ReconcileStack) -> None:
    # Given two stranded analyses and a sweep allowed a single DescribeExecution
    older = stack.item(AnalysisStatus.SUBMITTED, age=timedelta(hours=2))
    newer = stack.item(AnalysisStatus.SUBMITTED, age=timedelta(hours=1))
    settings = stack.handler.settings
    reconciler = Reconciler(
        ExecutionLookup(stack.sfn, stack.machine_arn, budget=1),
        stack.handler.publisher,
        stack.handler.window,
        stranded_after_seconds=settings.reconcile_stranded_after_seconds,
    )
    # When it sweeps
    report = reconciler.sweep()
    # Then the oldest is failed and the other is counted as unchecked, still SUBMITTED
    assert (report.stranded_failed, report.unchecked) == (1, 1)
    assert Analysis.get(older, consistent_read=True).status is AnalysisStatus.FAILED
    assert Analysis.get(newer, consistent_read=True).status is AnalysisStatus.SUBMITTED
