"""The limiter's store on one DynamoDB table (`pk` string key only, TTL attribute `expires_at`)."""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from skin_analysis.ratelimit.exceptions import RateLimitStoreUnavailable
from skin_analysis.ratelimit.limiter import RateLimiter
from skin_analysis.ratelimit.store import SlotStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesTypeDef

    from skin_analysis.ratelimit.config import RateLimitConfig
    from skin_analysis.ratelimit.slots import Ring

_BATCH_GET_LIMIT = 100
_CLAIM_CONDITION = "attribute_not_exists(pk) OR granted_at <= :cutoff"


def key_identity(api_key: str) -> str:
    """A stable, non-reversible name for a provider API key: items are keyed by it, never by the key."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:32]


def _number(value: float | int) -> dict[str, str]:
    # Microseconds are plenty; a fixed format keeps DynamoDB's decimal comparison exact.
    return {"N": f"{value:.6f}" if isinstance(value, float) else str(value)}


class DynamoDBSlotStore(SlotStore):
    """Ticket counters and slot items of one API key, one item each: `ratelimit#<key id>#<ring>#<slot|ticket>`."""

    def __init__(self, table_name: str, key_id: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self.key_id = key_id
        self._client: DynamoDBClient = client or boto3.client("dynamodb")

    def _pk(self, ring: Ring, suffix: str) -> dict[str, str]:
        return {"S": f"ratelimit#{self.key_id}#{ring}#{suffix}"}

    def next_ticket(self, ring: Ring, expires_at: int) -> int:
        """Hand out the ring's next ticket with an atomic ADD, pushing the counter's TTL forward."""
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key={"pk": self._pk(ring, "ticket")},
                UpdateExpression="ADD ticket :one SET expires_at = :expires_at",
                ExpressionAttributeValues={":one": {"N": "1"}, ":expires_at": _number(expires_at)},
                ReturnValues="UPDATED_NEW",
            )
        except (ClientError, BotoCoreError) as exc:
            raise RateLimitStoreUnavailable(f"ticket for ring {ring}: {exc}") from exc
        return int(response["Attributes"]["ticket"]["N"])

    def claim(self, ring: Ring, slot: int, granted_at: float, cutoff: float, expires_at: int) -> float | None:
        """Stamp the slot item with one conditional put; on failure return the blocking grant time."""
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": self._pk(ring, f"slot#{slot}"),
                    "granted_at": _number(granted_at),
                    "expires_at": _number(expires_at),
                },
                ConditionExpression=_CLAIM_CONDITION,
                ExpressionAttributeValues={":cutoff": _number(cutoff)},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as exc:
            item = cast("dict[str, Any]", exc.response).get("Item")
            if item is None:
                return self._last_grant(ring, slot, cutoff)
            return float(item["granted_at"]["N"])
        except (ClientError, BotoCoreError) as exc:
            raise RateLimitStoreUnavailable(f"claim of {ring} slot {slot}: {exc}") from exc
        return None

    def _last_grant(self, ring: Ring, slot: int, cutoff: float) -> float:
        # Only for a service that ignores ReturnValuesOnConditionCheckFailure; an item gone since the failed
        # write (TTL) means the slot is free, which `cutoff` expresses.
        try:
            response = self._client.get_item(
                TableName=self.table_name, Key={"pk": self._pk(ring, f"slot#{slot}")}, ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise RateLimitStoreUnavailable(f"read of {ring} slot {slot}: {exc}") from exc
        item = response.get("Item")
        return cutoff if item is None else float(item["granted_at"]["N"])

    def last_grants(self, ring: Ring, size: int) -> list[float]:
        """Read the ring's slot items with consistent batch reads."""
        keys = [{"pk": self._pk(ring, f"slot#{slot}")} for slot in range(size)]
        grants: list[float] = []
        for start in range(0, len(keys), _BATCH_GET_LIMIT):
            pending: dict[str, KeysAndAttributesTypeDef] = {
                self.table_name: {"Keys": keys[start : start + _BATCH_GET_LIMIT], "ConsistentRead": True}
            }
            while pending:
                try:
                    response = self._client.batch_get_item(RequestItems=pending)
                except (ClientError, BotoCoreError) as exc:
                    raise RateLimitStoreUnavailable(f"read of ring {ring}: {exc}") from exc
                items = response.get("Responses", {}).get(self.table_name, [])
                grants.extend(float(item["granted_at"]["N"]) for item in items)
                pending = {
                    table: {"Keys": unprocessed["Keys"], "ConsistentRead": True}
                    for table, unprocessed in response.get("UnprocessedKeys", {}).items()
                }
        return grants


class DynamoDBRateLimiter(RateLimiter):
    """The fleet-wide limiter of one provider API key on the rate-limit table."""

    def __init__(
        self,
        table_name: str,
        key_id: str,
        config: RateLimitConfig | None = None,
        *,
        client: DynamoDBClient | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(DynamoDBSlotStore(table_name, key_id, client), config, clock=clock, sleep=sleep)
