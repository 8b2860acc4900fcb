"""At most one wake-up per `webhook-id`, with Powertools Idempotency on the idempotency table.

The provider retries a delivery with the same `webhook-id` and a fresh timestamp and signature, so the key is
the id alone and payload validation is off. Records are kept `webhook_dedupe_seconds` (days: the Standard
Webhooks retry schedule runs for days). A repeat gets the first delivery's outcome back; a repeat that arrives
while the first is still being handled raises `IdempotencyAlreadyInProgressError`. When handling fails,
Powertools deletes the record so the provider's retry is handled afresh. A record holds the outcome only (never
the analysis id), so erasing an analysis leaves nothing behind here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from skin_analysis.webhooks.wake import WakeResult, WebhookOutcome

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb import DynamoDBClient

    from skin_analysis.webhooks.verification import VerifiedWebhook

#: Records are `webhook-id#<md5 of the id>` in the shared idempotency table (the API uses other prefixes).
KEY_PREFIX = "webhook-id"


@dataclass(frozen=True, slots=True)
class Deduped:
    """The outcome of a delivery's webhook-id, and whether this delivery was a repeat of it."""

    result: WakeResult
    duplicate: bool


class WebhookDedupe:
    """Runs `handle(task_id, webhook_id, task_status)` once per webhook-id and replays its outcome for repeats."""

    def __init__(
        self,
        table_name: str,
        handle: Callable[[str, str, str | None], WakeResult],
        *,
        expires_after_seconds: int,
        client: DynamoDBClient | None = None,
    ) -> None:
        self._handle = handle
        self._config = IdempotencyConfig(
            event_key_jmespath="webhook_id",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=expires_after_seconds,
        )
        persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)
        self._once = idempotent_function(
            self._first_delivery,
            data_keyword_argument="delivery",
            persistence_store=persistence,
            config=self._config,
            key_prefix=KEY_PREFIX,
        )

    def register_lambda_context(self, context: LambdaContext) -> None:
        """Bound in-progress records by the invocation's remaining time (a crashed run frees its id)."""
        self._config.register_lambda_context(context)

    def __call__(self, webhook: VerifiedWebhook) -> Deduped:
        """The outcome for this delivery; raises IdempotencyAlreadyInProgressError while a twin is handled."""
        handled: list[WakeResult] = []
        answer: dict[str, Any] = self._once(
            delivery={
                "webhook_id": webhook.webhook_id,
                "task_id": webhook.task_id,
                "task_status": webhook.notification.data.task_status,
            },
            handled=handled,
        )
        if handled:
            return Deduped(handled[0], duplicate=False)
        return Deduped(WakeResult(WebhookOutcome(answer["outcome"])), duplicate=True)

    def _first_delivery(self, *, delivery: dict[str, Any], handled: list[WakeResult]) -> dict[str, Any]:
        result = self._handle(delivery["task_id"], delivery["webhook_id"], delivery.get("task_status"))
        handled.append(result)
        # Only the outcome is kept for days: no analysis id, so erasing an analysis leaves nothing here.
        return {"outcome": result.outcome.value}
