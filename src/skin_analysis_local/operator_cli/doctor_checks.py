"""What `skin-analysis doctor` checks on a stack, each as one OK/WARN/FAIL line with its fix.

Only what can really be checked from outside: the configuration and secrets the functions read, the provider's
free endpoints (credit balance, feature cost) with the stack's key and under its limiter, a signed self-test
delivery to the webhook URL, the limiter's own counters, the queues and the oldest unfinished analysis.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import requests
from standardwebhooks.webhooks import Webhook

from skin_analysis_local.stack.records import read_records

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from skin_analysis.provider import PerfectCorpClient
    from skin_analysis.settings import CheckStatusSettings
    from skin_analysis_local.target import StackTarget

#: Task ids of doctor's self-test deliveries start with this, so they are never taken for real webhooks.
SELF_TEST_PREFIX = "doctor-selftest-"
#: An analysis unfinished for longer than this is stuck (the StuckAnalysisAlarm threshold).
STUCK_AFTER = timedelta(hours=3)
#: Below this many analyses' worth of units the balance is a warning.
LOW_CREDIT_ANALYSES = 100
_WEBHOOK_TIMEOUT_SECONDS = 10.0
_OK_STATUSES = range(200, 300)


class Level(StrEnum):
    """How bad a finding is; any FAIL makes doctor exit 1."""

    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of doctor's report."""

    check: str
    level: Level
    detail: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class SelfTestSecret:
    """The secret the self-test signs with, and where it came from (said in the report)."""

    secret: str
    source: str


class Doctor:
    """Runs every check against one stack; a check that raises is reported as FAIL, never as a crash."""

    def __init__(self, target: StackTarget, self_test_secret: SelfTestSecret | None, state_dir: Path) -> None:
        self._target = target
        self._secret = self_test_secret
        self._state_dir = state_dir
        self._settings: CheckStatusSettings | None = None
        self._client: PerfectCorpClient | None = None
        self._api_key: str | None = None

    def run(self) -> list[Finding]:
        """Every finding, in the order an operator fixes things."""
        findings: list[Finding] = []
        for name, check in self._checks():
            try:
                findings.extend(check())
            except Exception as exc:  # doctor reports any failure as a line
                findings.append(Finding(name, Level.FAIL, f"the check itself failed: {type(exc).__name__}: {exc}"))
        return findings

    def _checks(self) -> list[tuple[str, Callable[[], list[Finding]]]]:
        return [
            ("configuration", self._configuration),
            ("provider key secret", self._provider_key_secret),
            ("webhook secret", self._webhook_secret),
            ("provider", self._provider),
            ("last webhook", self._last_webhook),
            ("webhook self-test", self._webhook_self_test),
            ("limiter headroom", self._limiter_headroom),
            ("queues", self._queues),
            ("oldest unfinished analysis", self._oldest_unfinished),
        ]

    # Configuration and secrets

    def _configuration(self) -> list[Finding]:
        from skin_analysis.settings import CheckStatusSettings  # noqa: PLC0415

        environment = self._function_environment("RATE_LIMIT_TABLE", self._target.outputs["RateLimitTableName"])
        if environment is None:
            return [
                Finding(
                    "configuration",
                    Level.FAIL,
                    "no function of this stack has the provider settings (RATE_LIMIT_TABLE)",
                    "deploy the stack again (`sam build && sam deploy`)",
                )
            ]
        self._settings = CheckStatusSettings.model_validate({name.lower(): v for name, v in environment.items()})
        settings = self._settings
        detail = (
            f"provider {settings.provider_base_url} ({settings.provider_api_version}); budget "
            f"{settings.rate_budget} calls / {settings.rate_window_seconds} s, {settings.rate_read_reserve} "
            f"for reads; deadline {settings.analysis_deadline_seconds} s"
        )
        return [Finding("configuration", Level.OK, detail)]

    def _provider_key_secret(self) -> list[Finding]:
        from skin_analysis.provider.factory import api_key_from_secret  # noqa: PLC0415
        from skin_analysis.settings import ConfigurationError  # noqa: PLC0415

        arn = self._target.outputs["ProviderApiKeySecretArn"]
        try:
            self._api_key = api_key_from_secret(self._secret_string(arn), arn)
        except ConfigurationError as exc:
            return [Finding("provider key secret", Level.FAIL, str(exc), _put_secret_fix(arn, "<your API key>"))]
        return [Finding("provider key secret", Level.OK, f"set in {_short(arn)}")]

    def _webhook_secret(self) -> list[Finding]:
        from skin_analysis.settings import ConfigurationError  # noqa: PLC0415
        from skin_analysis.webhooks.signing_keys import signing_keys_from  # noqa: PLC0415

        arn = self._target.outputs["WebhookSecretArn"]
        try:
            keys = signing_keys_from(json.loads(self._secret_string(arn)), arn)
        except (ConfigurationError, ValueError) as exc:
            fix = _put_secret_fix(arn, '{"current": "whsec_<from the provider console>", "previous": null}')
            return [Finding("webhook secret", Level.FAIL, str(exc), fix)]
        slots = "current and previous (a rotation is in progress)" if keys.previous else "current"
        return [Finding("webhook secret", Level.OK, f"{slots} set in {_short(arn)}")]

    # The provider's free endpoints

    def _provider(self) -> list[Finding]:
        from skin_analysis.provider import ProviderAuthError, ProviderError  # noqa: PLC0415

        client = self._provider_client()
        if client is None:
            return [Finding("provider key", Level.FAIL, "not checked: the key or the configuration is missing")]
        try:
            lots = client.credit_balance()
        except ProviderAuthError as exc:
            arn = self._target.outputs["ProviderApiKeySecretArn"]
            return [Finding("provider key", Level.FAIL, f"rejected: {exc}", _put_secret_fix(arn, "<a valid key>"))]
        except ProviderError as exc:
            return [Finding("provider key", Level.FAIL, f"the provider did not answer: {exc}", "check its status")]
        balance = sum(lot.amount_dec for lot in lots)
        findings = [Finding("provider key", Level.OK, "valid (the credit endpoint accepted it)")]
        findings.append(self._credit(balance))
        findings.append(self._feature_cost(client))
        return findings

    def _credit(self, balance: float) -> Finding:
        per_analysis = self._units_per_analysis()
        detail = f"{balance:g} units; an analysis with the default actions costs {per_analysis} units"
        top_up = "top up units in the provider console, then `skin-analysis replay --code insufficient_credit`"
        if balance < per_analysis:
            return Finding("credit balance", Level.FAIL, detail, top_up)
        if balance < LOW_CREDIT_ANALYSES * per_analysis:
            return Finding("credit balance", Level.WARN, f"{detail}: fewer than {LOW_CREDIT_ANALYSES} left", top_up)
        return Finding("credit balance", Level.OK, f"{detail} ({int(balance // per_analysis)} analyses)")

    def _feature_cost(self, client: PerfectCorpClient) -> Finding:
        costs = client.feature_costs()
        skin = [cost for cost in costs if "skin" in cost.description.lower()]
        if not skin:
            return Finding(
                "feature cost",
                Level.WARN,
                f"{len(costs)} SKUs priced, none for skin analysis",
                "check the provider account's plan",
            )
        listed = "; ".join(f"{cost.description}: {cost.amount:g} {cost.unit}" for cost in skin[:3])
        return Finding("feature cost", Level.OK, listed)

    def _units_per_analysis(self) -> int:
        from skin_analysis.provider.actions import unit_cost, validate_actions  # noqa: PLC0415
        from skin_analysis.quality import Quality  # noqa: PLC0415

        ingest = self._function_environment("STATE_MACHINE_ARN", self._target.outputs["StateMachineArn"]) or {}
        actions = [a.strip() for a in ingest.get("DEFAULT_ACTIONS", "").split(",") if a.strip()]
        if not actions:
            return unit_cost(Quality(ingest.get("DEFAULT_QUALITY", "sd")), 1)
        quality, distinct = validate_actions(actions)
        return unit_cost(quality, len(distinct))

    # Webhooks

    def _last_webhook(self) -> list[Finding]:
        last = self._last_local_webhook() if self._target.is_local else self._last_aws_webhook()
        if last is None and not _finished_recently():
            return [Finding("last webhook", Level.OK, "none in the last 24 h, and no analysis succeeded to expect one")]
        if last is None:
            return [
                Finding(
                    "last webhook",
                    Level.WARN,
                    "none received in the last 24 h (analyses still finish by polling, slower and dearer)",
                    f"register {self._target.outputs['WebhookUrl']} in the provider console (Webhooks)",
                )
            ]
        age = datetime.now(UTC) - last
        return [Finding("last webhook", Level.OK, f"{last:%Y-%m-%d %H:%M:%S} UTC ({_ago(age)} ago)")]

    def _last_local_webhook(self) -> datetime | None:
        times = [
            datetime.fromisoformat(record["time"])
            for record in read_records(self._state_dir, "WebhookFunction")
            if record.get("outcome") == "success"
            and (record.get("response") or {}).get("statusCode") in _OK_STATUSES
            and SELF_TEST_PREFIX not in str((record.get("event") or {}).get("body", ""))
            and datetime.now(UTC) - datetime.fromisoformat(record["time"]) < timedelta(days=1)
        ]
        return max(times, default=None)

    def _last_aws_webhook(self) -> datetime | None:
        # Webhooks verified, per 5 minutes (the handler's metrics; doctor's own self-tests are counted too).
        now = datetime.now(UTC)
        datapoints = self._target.client("cloudwatch").get_metric_statistics(
            Namespace="SkinAnalysis",
            MetricName="WebhooksVerified",
            Dimensions=[{"Name": "service", "Value": "skin-analysis"}],
            StartTime=now - timedelta(days=1),
            EndTime=now,
            Period=300,
            Statistics=["Sum"],
        )["Datapoints"]
        return max((point["Timestamp"] for point in datapoints if point.get("Sum", 0) > 0), default=None)

    def _webhook_self_test(self) -> list[Finding]:
        if self._secret is None:
            return [Finding("webhook self-test", Level.FAIL, "no secret to sign with", "pass --webhook-secret")]
        url = self._target.outputs.get("WebhookUrl") or ""
        if self._target.local_info:
            url = self._target.local_info.get("webhook_url", url)
        task_id = f"{SELF_TEST_PREFIX}{uuid.uuid4().hex}"
        body = json.dumps(
            {"created_at": int(time.time()), "data": {"task_id": task_id, "task_status": "success"}},
            separators=(",", ":"),
        )
        message_id, sent_at = f"msg_{task_id}", datetime.now(UTC)
        signature = Webhook(self._secret.secret).sign(message_id, sent_at, body)
        headers = {
            "Content-Type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
        }
        try:
            answer = requests.post(url, data=body.encode(), headers=headers, timeout=_WEBHOOK_TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            return [Finding("webhook self-test", Level.FAIL, f"{url} unreachable: {exc}", "check the API stage")]
        said = f"{url} answered {answer.status_code} to a delivery signed with {self._secret.source}"
        if answer.status_code in _OK_STATUSES:
            return [Finding("webhook self-test", Level.OK, said)]
        if answer.status_code == 401:  # noqa: PLR2004  (the webhook's "not verified")
            arn = self._target.outputs["WebhookSecretArn"]
            return [
                Finding(
                    "webhook self-test",
                    Level.FAIL,
                    f"{said}: {_problem_code(answer)}; the stack's secret is not the one the provider signs with",
                    _put_secret_fix(arn, '{"current": "whsec_<the provider console\'s secret>", "previous": null}'),
                )
            ]
        return [Finding("webhook self-test", Level.FAIL, f"{said}: {answer.text[:200]}", "see `docs/webhooks.md`")]

    # Our own counters

    def _limiter_headroom(self) -> list[Finding]:
        from skin_analysis.ratelimit import DynamoDBRateLimiter, RateLimitConfig, key_identity  # noqa: PLC0415

        if self._settings is None or self._api_key is None:
            return [Finding("limiter headroom", Level.FAIL, "not checked: the key or the configuration is missing")]
        settings = self._settings
        limiter = DynamoDBRateLimiter(
            settings.rate_limit_table,
            key_identity(self._api_key),
            RateLimitConfig(
                budget=settings.rate_budget,
                window_s=settings.rate_window_seconds,
                read_reserve=settings.rate_read_reserve,
            ),
            client=self._target.client("dynamodb"),
        )
        room = limiter.headroom()
        detail = (
            f"{room.available} of {room.budget} calls free in the {room.window_s:g} s window "
            f"({room.create_available} of {room.create_budget} for creates)"
        )
        if room.create_available <= 0:
            return [
                Finding(
                    "limiter headroom",
                    Level.WARN,
                    f"{detail}: creates wait for the window to slide",
                    "normal during a burst; raise RateBudget only if the provider raised your limit",
                )
            ]
        return [Finding("limiter headroom", Level.OK, detail)]

    def _queues(self) -> list[Finding]:
        sqs = self._target.client("sqs")
        waiting = _depth(sqs, self._target.outputs["SubmissionQueueUrl"])
        dead = _depth(sqs, self._target.outputs["SubmissionDeadLetterQueueUrl"])
        findings = [Finding("submission queue", Level.OK, f"{waiting} messages (waiting or being submitted)")]
        if dead:
            findings.append(
                Finding(
                    "dead-letter queue",
                    Level.WARN,
                    f"{dead} submissions failed five times",
                    "read them for the cause, fix it, then `skin-analysis replay` the analyses that FAILED",
                )
            )
        else:
            findings.append(Finding("dead-letter queue", Level.OK, "empty"))
        return findings

    def _oldest_unfinished(self) -> list[Finding]:
        from skin_analysis.models import Analysis, AnalysisStatus  # noqa: PLC0415

        oldest: Analysis | None = None
        for status in (
            AnalysisStatus.RECEIVED,
            AnalysisStatus.QUEUED,
            AnalysisStatus.SUBMITTED,
            AnalysisStatus.RUNNING,
        ):
            for item in Analysis.status_created_index.query(status, limit=1):
                if oldest is None or item.created_at < oldest.created_at:
                    oldest = item
                break
        if oldest is None:
            return [Finding("oldest unfinished analysis", Level.OK, "none: every analysis has finished")]
        age = datetime.now(UTC) - oldest.created_at
        detail = f"{oldest.analysis_id} is {oldest.status}, {_ago(age)} old"
        if age > STUCK_AFTER:
            return [
                Finding(
                    "oldest unfinished analysis",
                    Level.WARN,
                    f"{detail}: stuck",
                    f"`skin-analysis status {oldest.analysis_id}`; check the execution and webhook delivery",
                )
            ]
        return [Finding("oldest unfinished analysis", Level.OK, detail)]

    # Helpers

    def _provider_client(self) -> PerfectCorpClient | None:
        from skin_analysis.provider.factory import provider_client_from  # noqa: PLC0415

        if self._client is None and self._settings is not None and self._api_key is not None:
            # Through the stack's own limiter: doctor's calls count against the same budget as the functions'.
            self._client = provider_client_from(
                self._settings, api_key=self._api_key, dynamodb=self._target.client("dynamodb")
            )
        return self._client

    def _secret_string(self, arn: str) -> str:
        return str(self._target.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])

    def _function_environment(self, name: str, value: str) -> dict[str, str] | None:
        """The environment of the stack's function whose variable `name` is `value`."""
        paginator = self._target.client("lambda").get_paginator("list_functions")
        for page in paginator.paginate():
            for function in page["Functions"]:
                variables: dict[str, str] = function.get("Environment", {}).get("Variables", {})
                if variables.get(name) == value:
                    return variables
        return None


def _finished_recently() -> bool:
    """Whether an analysis succeeded in the last 24 h (its task's webhook was due)."""
    from skin_analysis.models import Analysis, AnalysisStatus  # noqa: PLC0415

    since = datetime.now(UTC) - timedelta(days=1)
    recent = Analysis.status_created_index.query(AnalysisStatus.SUCCEEDED, Analysis.created_at >= since, limit=1)
    return any(True for _ in recent)


def _depth(sqs: Any, queue_url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return sum(int(attributes.get(name, 0)) for name in names)


def _problem_code(answer: requests.Response) -> str:
    try:
        return str(answer.json().get("code", "refused"))
    except ValueError:
        return "refused"


def _put_secret_fix(arn: str, value: str) -> str:
    return f"aws secretsmanager put-secret-value --secret-id {arn} --secret-string '{value}'"


def _short(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def _ago(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 120:  # noqa: PLR2004
        return f"{seconds} s"
    if seconds < 7200:  # noqa: PLR2004
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
