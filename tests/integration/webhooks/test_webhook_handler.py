"""The webhook handler on moto: the race rule both ways, dedupe, orphans, refusals, rotation and failures."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import pytest

from skin_analysis.models import AnalysisStatus, utc_now
from skin_analysis.models.submission import record_submitted_task
from skin_analysis.models.wait import EarlyWebhook, claim_early_webhook, rearm_webhook_wait
from tests.integration.webhooks.metrics import emitted_metrics
from tests.unit.webhooks.signing import new_secret, notification_body

if TYPE_CHECKING:
    from tests.integration.webhooks.conftest import WebhookStack

CCF = "DynamoDb.ConditionalCheckFailedException"


def body_of(response: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(response["body"])
    return answer


def test_a_webhook_after_the_token_resumes_the_waiting_execution_at_once(
    webhook_stack: WebhookStack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = webhook_stack
    # Given an execution waiting in the real Wait For Webhook state, its token stored, a 60 s delay ahead
    analysis_id, task_id = stack.submitted_analysis()
    arn = stack.start_wait(analysis_id, delay_seconds=60)
    stack.token_stored(analysis_id)
    stack.deliver(stack.event(f"warm-up-{uuid.uuid4().hex}"))  # a warm execution environment
    capsys.readouterr()

    # When the provider's webhook for its task arrives
    started = time.monotonic()
    response = stack.deliver(stack.event(task_id))
    answered_in = time.monotonic() - started

    # Then it is answered 200 within the second, and the wait completes through its token (no caught error)
    assert response["statusCode"] == HTTPStatus.OK
    assert body_of(response) == {"outcome": "woken", "duplicate": False}
    assert answered_in < 1.0
    execution = stack.finished(arn, timeout=10)
    assert execution["status"] == "SUCCEEDED"
    # And the webhook's verified "success" routes it straight to Finalize Analysis (no status GET)
    assert json.loads(execution["output"])["wake"] == {"woken_by": "webhook", "task_status": "success"}
    history = stack.sfn.get_execution_history(executionArn=arn)["events"]
    entered = [event["stateEnteredEventDetails"]["name"] for event in history if "stateEnteredEventDetails" in event]
    assert entered[-1] == "Finalize Analysis"
    assert stack.item(analysis_id).webhook_at is not None
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["WebhooksVerified"] == 1
    assert metrics["WebhookWakeUps"] == 1


def test_a_webhook_before_the_token_makes_the_wait_go_to_check_status_at_once(
    webhook_stack: WebhookStack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = webhook_stack
    # Given a submitted analysis whose wait has not stored its token yet
    analysis_id, task_id = stack.submitted_analysis()

    # When the webhook comes first
    response = stack.deliver(stack.event(task_id))

    # Then it records webhook_at and wakes nobody
    assert body_of(response) == {"outcome": "recorded", "duplicate": False}
    assert stack.item(analysis_id).webhook_at is not None
    assert emitted_metrics(capsys.readouterr().out)["WebhooksBeforeToken"] == 1

    # And the wait that starts afterwards fails its condition and checks at once instead of sleeping 60 s
    started = time.monotonic()
    execution = stack.finished(stack.start_wait(analysis_id, delay_seconds=60), timeout=10)
    assert time.monotonic() - started < 10
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"])["wake"]["Error"] == CCF
    assert stack.item(analysis_id).task_token is None


def test_a_repeated_webhook_id_never_wakes_a_second_time(
    webhook_stack: WebhookStack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = webhook_stack
    # Given a webhook that came while the task still ran, and Check Status re-armed the wait afterwards
    analysis_id, task_id = stack.submitted_analysis()
    webhook_id = f"msg_{task_id}:{int(time.time())}"
    assert body_of(stack.deliver(stack.event(task_id, webhook_id=webhook_id)))["outcome"] == "recorded"
    assert stack.item(analysis_id).webhook_status == "success"
    rearm_webhook_wait(analysis_id)
    assert stack.item(analysis_id).webhook_status is None
    arn = stack.start_wait(analysis_id, delay_seconds=60)
    token = stack.token_stored(analysis_id)
    capsys.readouterr()

    # When the provider retries the same webhook-id (fresh timestamp and signature) twice
    first_retry = stack.deliver(stack.event(task_id, webhook_id=webhook_id, timestamp=int(time.time()) + 1))
    second_retry = stack.deliver(stack.event(task_id, webhook_id=webhook_id, timestamp=int(time.time()) + 2))

    # Then both are 200 duplicates that replay the first outcome and touch nothing
    assert body_of(first_retry) == body_of(second_retry) == {"outcome": "recorded", "duplicate": True}
    item = stack.item(analysis_id)
    assert item.webhook_at is None
    assert item.task_token == token
    time.sleep(1)
    assert stack.status(arn) == "RUNNING"
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["WebhookDuplicates"] == 2
    assert metrics["WebhookWakeUps"] == 0

    # And one record per webhook-id, with Powertools' attribute names, kept for the configured days
    key = "webhook-id#" + hashlib.md5(json.dumps(webhook_id).encode(), usedforsecurity=False).hexdigest()
    [record] = [r for r in stack.idempotency_records() if r["id"]["S"] == key]
    assert record["status"]["S"] == "COMPLETED"
    assert int(record["expiration"]["N"]) > time.time() + 6 * 86_400
    # holding the outcome only: erasing the analysis leaves nothing that names it here
    assert json.loads(record["data"]["S"]) == {"outcome": "recorded"}
    assert analysis_id not in json.dumps(record)

    # While a new notification (another webhook-id) still wakes the execution
    assert body_of(stack.deliver(stack.event(task_id)))["outcome"] == "woken"
    assert stack.finished(arn)["status"] == "SUCCEEDED"


def test_an_unknown_task_is_200_and_counted_as_an_orphan(
    webhook_stack: WebhookStack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = webhook_stack
    task_id = f"foreign-{uuid.uuid4().hex}"

    response = stack.deliver(stack.event(task_id))

    assert response["statusCode"] == HTTPStatus.OK
    assert body_of(response) == {"outcome": "orphan", "duplicate": False}
    assert emitted_metrics(capsys.readouterr().out)["WebhookOrphans"] == 1
    # A marker stays behind (with a TTL) in case the task's create answer is still on its way
    marker = EarlyWebhook.get(f"early#{task_id}", consistent_read=True)
    assert marker.expires_at is not None


def test_a_webhook_that_beats_the_create_answer_is_applied_when_the_submitter_records_the_task(
    webhook_stack: WebhookStack,
) -> None:
    stack = webhook_stack
    # Given a QUEUED analysis whose create has reached the provider, and the webhook arriving before its answer
    queued_id = stack.queued_analysis()
    task_id = f"task-{uuid.uuid4().hex}"
    assert body_of(stack.deliver(stack.event(task_id)))["outcome"] == "orphan"

    # When the submitter records the task and claims the early webhook before answering the queue wait
    record_submitted_task(queued_id, task_id)
    assert claim_early_webhook(task_id, queued_id)

    # Then webhook_at is set with the reported status, so the wait checks at once without a GET; the marker is gone
    item = stack.item(queued_id)
    assert item.webhook_at is not None
    assert item.webhook_status == "success"
    assert not claim_early_webhook(task_id, queued_id)
    execution = stack.finished(stack.start_wait(queued_id, delay_seconds=60), timeout=10)
    assert json.loads(execution["output"])["wake"]["Error"] == CCF


def test_without_an_early_webhook_the_claim_changes_nothing(webhook_stack: WebhookStack) -> None:
    analysis_id, task_id = webhook_stack.submitted_analysis()
    assert not claim_early_webhook(task_id, analysis_id)
    assert webhook_stack.item(analysis_id).webhook_at is None


@pytest.mark.parametrize("status", [AnalysisStatus.SUCCEEDED, AnalysisStatus.FAILED])
def test_a_webhook_for_a_finished_analysis_changes_nothing(webhook_stack: WebhookStack, status: AnalysisStatus) -> None:
    analysis_id, task_id = webhook_stack.submitted_analysis(status)
    before = webhook_stack.item(analysis_id).attribute_values

    response = webhook_stack.deliver(webhook_stack.event(task_id))

    assert body_of(response) == {"outcome": "finished", "duplicate": False}
    assert webhook_stack.item(analysis_id).attribute_values == before


def test_a_webhook_after_the_wait_timed_out_is_harmless(webhook_stack: WebhookStack) -> None:
    stack = webhook_stack
    analysis_id, task_id = stack.submitted_analysis()
    arn = stack.start_wait(analysis_id, delay_seconds=1)
    stack.token_stored(analysis_id)
    assert json.loads(stack.finished(arn)["output"])["wake"]["Error"] == "States.Timeout"

    response = stack.deliver(stack.event(task_id))

    # SendTaskSuccess answers TaskTimedOut: normal, 200
    assert response["statusCode"] == HTTPStatus.OK
    assert body_of(response)["outcome"] == "wait_over"


def _refusals(stack: WebhookStack, task_id: str) -> dict[str, dict[str, Any]]:
    body = notification_body(task_id)
    now = int(time.time())
    tampered = stack.event(task_id, body=body)
    tampered["body"] = tampered["body"].replace("success", "error")
    unsigned = stack.event(task_id, headers={})
    malformed = stack.event(task_id)
    malformed["headers"]["webhook-signature"] = "v1"
    bad_base64 = stack.event(task_id)
    bad_base64["isBase64Encoded"] = True
    bad_base64["body"] = "%%%"
    return {
        "forged": stack.event(task_id, new_secret()),
        "tampered": tampered,
        "stale": stack.event(task_id, timestamp=now - 600),
        "replayed_late": stack.event(task_id, timestamp=now - 3600),
        "header_less": unsigned,
        "malformed_signature": malformed,
        "malformed_base64": bad_base64,
    }


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("forged", "invalid_signature"),
        ("tampered", "invalid_signature"),
        ("stale", "stale"),
        ("replayed_late", "stale"),
        ("header_less", "missing_headers"),
        ("malformed_signature", "malformed_headers"),
        ("malformed_base64", "malformed_body"),
    ],
)
def test_an_invalid_webhook_is_a_401_with_no_state_change(
    webhook_stack: WebhookStack, capsys: pytest.CaptureFixture[str], kind: str, reason: str
) -> None:
    stack = webhook_stack
    # Given an execution waiting on its stored token
    analysis_id, task_id = stack.submitted_analysis()
    arn = stack.start_wait(analysis_id, delay_seconds=60)
    token = stack.token_stored(analysis_id)
    records_before = len(stack.idempotency_records())
    capsys.readouterr()

    # When an invalid delivery about its task arrives
    response = stack.deliver(_refusals(stack, task_id)[kind])

    # Then it is refused with its reason, nothing is written and the execution keeps waiting
    assert response["statusCode"] == HTTPStatus.UNAUTHORIZED
    assert body_of(response)["code"] == f"webhook_{reason}"
    item = stack.item(analysis_id)
    assert item.webhook_at is None
    assert item.task_token == token
    assert len(stack.idempotency_records()) == records_before
    assert stack.status(arn) == "RUNNING"
    assert emitted_metrics(capsys.readouterr().out)[f"WebhooksRejected[reason={reason}]"] == 1
    stack.sfn.stop_execution(executionArn=arn)


def test_secret_rotation_accepts_both_secrets_during_and_only_the_new_one_after(webhook_stack: WebhookStack) -> None:
    stack = webhook_stack
    old, new = stack.current_secret, new_secret()
    try:
        # During the rotation the operator stores the new secret as current and keeps the old one as previous
        stack.store_secret(new, previous=old)
        during = stack.handler()
        for secret in (old, new):
            response = stack.deliver(stack.event(f"task-{uuid.uuid4().hex}", secret), during)
            assert response["statusCode"] == HTTPStatus.OK, secret

        # After it, the previous secret is removed: the old signatures fail
        stack.store_secret(new)
        after = stack.handler()
        assert stack.deliver(stack.event(f"task-{uuid.uuid4().hex}", new), after)["statusCode"] == HTTPStatus.OK
        refused = stack.deliver(stack.event(f"task-{uuid.uuid4().hex}", old), after)
        assert refused["statusCode"] == HTTPStatus.UNAUTHORIZED
        assert body_of(refused)["code"] == "webhook_invalid_signature"
    finally:
        stack.store_secret(old)


def test_an_aws_failure_after_verification_is_a_503_and_the_retry_is_handled(webhook_stack: WebhookStack) -> None:
    stack = webhook_stack
    analysis_id, task_id = stack.submitted_analysis()
    event = stack.event(task_id)

    # Given an environment whose idempotency table cannot be reached
    broken = stack.handler(IDEMPOTENCY_TABLE=f"missing-{uuid.uuid4().hex}")
    response = stack.deliver(event, broken)

    # Then the provider is told to retry (never a 500), and nothing changed
    assert response["statusCode"] == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["headers"]["Retry-After"]
    assert stack.item(analysis_id).webhook_at is None

    # And the retry of the same webhook-id is handled normally
    assert body_of(stack.deliver(event))["outcome"] == "recorded"
    assert stack.item(analysis_id).webhook_at is not None
    assert stack.item(analysis_id).webhook_at <= utc_now()


# Lambda runs one invocation per environment at a time; threads sharing one module share its metrics buffer.
@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_concurrent_copies_of_one_webhook_wake_exactly_once(webhook_stack: WebhookStack) -> None:
    stack = webhook_stack
    # Given an execution waiting on its stored token
    analysis_id, task_id = stack.submitted_analysis()
    arn = stack.start_wait(analysis_id, delay_seconds=60)
    stack.token_stored(analysis_id)
    handler = stack.warm
    webhook_id = f"msg_{task_id}:{int(time.time())}"
    events = [stack.event(task_id, webhook_id=webhook_id) for _ in range(6)]

    # When six copies of the same delivery arrive at once
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda event: stack.deliver(event, handler), events))

    # Then exactly one handles it; the others are duplicates (200) or told to retry while it runs (409)
    firsts = [r for r in responses if r["statusCode"] == HTTPStatus.OK and not body_of(r)["duplicate"]]
    assert [body_of(r)["outcome"] for r in firsts] == ["woken"]
    assert {r["statusCode"] for r in responses} <= {HTTPStatus.OK, HTTPStatus.CONFLICT}
    assert stack.finished(arn)["status"] == "SUCCEEDED"
