"""One delivery to POST /webhooks/perfect-corp: verify, dedupe on webhook-id, wake; and the HTTP answer.

Nothing is written before the signature verifies, so a refused delivery leaves no trace but a log line and a
metric. Refusals are 401 (400 for a verified body that is not a task notification); a verified delivery is 200
whatever became of it (woken, recorded, finished, orphan, duplicate); 409 asks the sender to retry a twin of a
delivery still being handled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from skin_analysis.webhooks.rejection import WebhookRejected
from skin_analysis.webhooks.verification import raw_body

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from skin_analysis.webhooks.dedupe import Deduped
    from skin_analysis.webhooks.verification import VerifiedWebhook, WebhookVerifier
    from skin_analysis.webhooks.wake import WakeResult


@dataclass(frozen=True, slots=True)
class WebhookReply:
    """What happened to one delivery and what the sender is told."""

    status_code: int
    body: dict[str, Any]
    #: The verified delivery (None when refused).
    webhook: VerifiedWebhook | None = None
    #: What the delivery's webhook-id led to (None when refused or still being handled by a twin).
    result: WakeResult | None = None
    #: A repeat of a webhook-id already handled, or being handled right now.
    duplicate: bool = False
    rejection: WebhookRejected | None = None

    @classmethod
    def refused(cls, rejected: WebhookRejected) -> WebhookReply:
        """401 (400 for an unusable verified body) with the reason's code."""
        status = rejected.reason.status_code
        problem = _problem(status, HTTPStatus(status).phrase, rejected.detail, f"webhook_{rejected.reason}")
        return cls(status, problem, rejection=rejected)

    @classmethod
    def in_progress(cls, webhook: VerifiedWebhook) -> WebhookReply:
        """409: a twin of this delivery is being handled; the sender retries and then gets its outcome."""
        problem = _problem(HTTPStatus.CONFLICT, "Conflict", "This webhook-id is being handled; retry.", "in_progress")
        return cls(HTTPStatus.CONFLICT, problem, webhook=webhook, duplicate=True)

    @classmethod
    def handled(cls, webhook: VerifiedWebhook, deduped: Deduped) -> WebhookReply:
        """200 with the outcome, whatever it was."""
        body = {"outcome": deduped.result.outcome.value, "duplicate": deduped.duplicate}
        return cls(HTTPStatus.OK, body, webhook=webhook, result=deduped.result, duplicate=deduped.duplicate)

    def as_proxy_response(self) -> dict[str, Any]:
        """The API Gateway proxy integration response."""
        content_type = "application/json" if self.status_code == HTTPStatus.OK else "application/problem+json"
        return {
            "statusCode": self.status_code,
            "headers": {"Content-Type": content_type},
            "body": json.dumps(self.body),
        }


def _problem(status: int, title: str, detail: str, code: str) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, "code": code}


class ReceiveWebhook:
    """Verify, then dedupe and wake."""

    def __init__(self, verifier: WebhookVerifier, dedupe: Callable[[VerifiedWebhook], Deduped]) -> None:
        self._verifier = verifier
        self._dedupe = dedupe

    def __call__(
        self, body: str | None, is_base64_encoded: bool | None, headers: Mapping[str, str | None]
    ) -> WebhookReply:
        """Handle one delivery; AWS errors after verification propagate (the sender retries on a 5xx)."""
        try:
            webhook = self._verifier.verify(raw_body(body, is_base64_encoded), headers)
        except WebhookRejected as rejected:
            return WebhookReply.refused(rejected)
        try:
            deduped = self._dedupe(webhook)
        except IdempotencyAlreadyInProgressError:
            return WebhookReply.in_progress(webhook)
        return WebhookReply.handled(webhook, deduped)
