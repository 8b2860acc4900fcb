"""`Idempotency-Key` on POST /v1/analyses: a retry gets the first answer back and creates nothing.

Powertools Idempotency on the shared idempotency table, keyed on the partner id and the header's value (so two
partners using the same value get two analyses), with the request body as the payload it validates: the same
key with another body is refused (422), not answered with the first body's analysis. A retry arriving while
the first request is still being served is refused (409); a first request that fails leaves no record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb import DynamoDBClient

#: Records are `partner-create#<md5 of [partner_id, key]>` (the webhook's dedupe uses `webhook-id#...`).
KEY_PREFIX: Final = "partner-create"
HEADER: Final = "Idempotency-Key"
MAX_KEY_LENGTH: Final = 255


class IdempotentCreate:
    """Runs `create()` once per (partner, Idempotency-Key) and replays its JSON answer for every retry."""

    def __init__(self, table_name: str, *, expires_after_seconds: int, client: DynamoDBClient | None = None) -> None:
        self._config = IdempotencyConfig(
            event_key_jmespath="[partner_id, idempotency_key]",
            payload_validation_jmespath="body",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=expires_after_seconds,
        )
        persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)
        self._once = idempotent_function(
            self._first_request,
            data_keyword_argument="request",
            persistence_store=persistence,
            config=self._config,
            key_prefix=KEY_PREFIX,
        )

    def register_lambda_context(self, context: LambdaContext) -> None:
        """Bound in-progress records by the invocation's remaining time (a crashed create frees its key)."""
        self._config.register_lambda_context(context)

    def __call__(
        self, partner_id: str, idempotency_key: str, body: dict[str, Any], create: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """The first answer for this partner and key; IdempotencyValidationError when the body differs."""
        request = {"partner_id": partner_id, "idempotency_key": idempotency_key, "body": body}
        answer: dict[str, Any] = self._once(request=request, create=create)
        return answer

    @staticmethod
    def _first_request(*, request: dict[str, Any], create: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return create()
