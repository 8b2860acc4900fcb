"""What the sender is told: 401 with a reason before anything is written, 200 with the outcome, 409 for a twin."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from skin_analysis.webhooks import (
    Deduped,
    ReceiveWebhook,
    SigningKeys,
    StaticSigningKeys,
    VerifiedWebhook,
    WakeResult,
    WebhookOutcome,
    WebhookVerifier,
    raw_body,
)
from skin_analysis_local.template import PROJECT_ROOT
from tests.unit.webhooks.signing import TASK_ID, new_secret, notification_body, signed_headers

SECRET = new_secret()
Mangle = Callable[[bytes, dict[str, str]], tuple[bytes, dict[str, str]]]


class RecordingDedupe:
    """Stands in for the DynamoDB-backed dedupe: records what reached it and answers as told."""

    def __init__(self, answer: Deduped | None = None) -> None:
        self.answer = answer or Deduped(WakeResult(WebhookOutcome.WOKEN, "analysis-1"), duplicate=False)
        self.seen: list[VerifiedWebhook] = []

    def __call__(self, webhook: VerifiedWebhook) -> Deduped:
        self.seen.append(webhook)
        return self.answer


class InProgressDedupe:
    def __call__(self, webhook: VerifiedWebhook) -> Deduped:
        raise IdempotencyAlreadyInProgressError("a twin is being handled")


def receiver(dedupe: RecordingDedupe | InProgressDedupe) -> ReceiveWebhook:
    return ReceiveWebhook(WebhookVerifier(StaticSigningKeys(SigningKeys.of(SECRET))), dedupe)


def test_a_verified_delivery_reaches_the_dedupe_and_gets_200() -> None:
    body = notification_body()
    dedupe = RecordingDedupe()

    reply = receiver(dedupe)(body.decode(), False, signed_headers(body, SECRET))

    assert [webhook.task_id for webhook in dedupe.seen] == [TASK_ID]
    response = reply.as_proxy_response()
    assert response["statusCode"] == HTTPStatus.OK
    assert json.loads(response["body"]) == {"outcome": "woken", "duplicate": False}
    assert reply.result == WakeResult(WebhookOutcome.WOKEN, "analysis-1")


def test_a_base64_encoded_delivery_is_verified_over_its_decoded_bytes() -> None:
    body = notification_body()
    dedupe = RecordingDedupe()
    reply = receiver(dedupe)(base64.b64encode(body).decode(), True, signed_headers(body, SECRET))
    assert reply.status_code == HTTPStatus.OK
    assert len(dedupe.seen) == 1


def test_a_duplicate_is_200_and_says_so() -> None:
    body = notification_body()
    dedupe = RecordingDedupe(Deduped(WakeResult(WebhookOutcome.RECORDED, "analysis-1"), duplicate=True))
    reply = receiver(dedupe)(body.decode(), False, signed_headers(body, SECRET))
    assert reply.duplicate
    assert json.loads(reply.as_proxy_response()["body"]) == {"outcome": "recorded", "duplicate": True}


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (lambda body, headers: (body, {}), "webhook_missing_headers"),
        (lambda body, headers: (body.replace(b"success", b"error"), headers), "webhook_invalid_signature"),
        (lambda body, headers: (body, {**headers, "webhook-timestamp": "1"}), "webhook_stale"),
        (lambda body, headers: (body, {**headers, "webhook-signature": "v1"}), "webhook_malformed_headers"),
    ],
)
def test_a_refused_delivery_is_a_401_problem_and_never_reaches_the_dedupe(mangle: Mangle, code: str) -> None:
    body = notification_body()
    sent_body, headers = mangle(body, signed_headers(body, SECRET))
    dedupe = RecordingDedupe()

    reply = receiver(dedupe)(sent_body.decode(), False, headers)

    assert dedupe.seen == []
    response = reply.as_proxy_response()
    assert response["statusCode"] == HTTPStatus.UNAUTHORIZED
    assert response["headers"]["Content-Type"] == "application/problem+json"
    problem = json.loads(response["body"])
    assert problem["code"] == code
    assert problem["status"] == HTTPStatus.UNAUTHORIZED


def test_malformed_base64_is_a_401() -> None:
    body = notification_body()
    dedupe = RecordingDedupe()
    reply = receiver(dedupe)("%%% not base64", True, signed_headers(body, SECRET))
    assert reply.status_code == HTTPStatus.UNAUTHORIZED
    assert json.loads(reply.as_proxy_response()["body"])["code"] == "webhook_malformed_body"
    assert dedupe.seen == []


def test_a_twin_still_being_handled_is_a_409_so_the_sender_retries() -> None:
    body = notification_body()
    reply = receiver(InProgressDedupe())(body.decode(), False, signed_headers(body, SECRET))
    assert reply.status_code == HTTPStatus.CONFLICT
    assert reply.duplicate
    assert reply.result is None
    assert json.loads(reply.as_proxy_response()["body"])["code"] == "in_progress"


def _sample(name: str) -> dict[str, Any]:
    sample: dict[str, Any] = json.loads((PROJECT_ROOT / "events" / "webhook" / name).read_text())
    return sample


def test_the_unsigned_sample_event_is_refused_for_missing_headers() -> None:
    event = _sample("unsigned.json")
    dedupe = RecordingDedupe()
    reply = receiver(dedupe)(event["body"], event["isBase64Encoded"], event["headers"])
    assert json.loads(reply.as_proxy_response()["body"])["code"] == "webhook_missing_headers"
    assert dedupe.seen == []


def test_the_base64_sample_event_carries_the_same_bytes_as_the_plain_one() -> None:
    plain, encoded = _sample("perfect-corp-success.json"), _sample("perfect-corp-base64-body.json")
    assert raw_body(encoded["body"], encoded["isBase64Encoded"]) == raw_body(plain["body"], plain["isBase64Encoded"])
