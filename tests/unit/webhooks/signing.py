"""Deliveries signed with the official standardwebhooks library, as a Standard Webhooks sender makes them."""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

TASK_ID = "SaGaqpDgKwFrVBgMpQMA3HY0LeqdT9_13W5TOD8_u_GPi6NqQ3dhlmN-6ntFwhzT"


def new_secret() -> str:
    """A `whsec_` secret as the provider console issues them."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def notification_body(task_id: str = TASK_ID, status: str = "success", created_at: int | None = None) -> bytes:
    """The provider's minified thin body (contract §7.2)."""
    created = int(time.time()) if created_at is None else created_at
    payload = {"created_at": created, "data": {"task_id": task_id, "task_status": status}}
    return json.dumps(payload, separators=(",", ":")).encode()


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` entry made by the library."""
    signed: str = Webhook(secret).sign(webhook_id, datetime.fromtimestamp(timestamp, tz=UTC), body.decode())
    return signed


def signed_headers(
    body: bytes,
    *secrets_: str,
    webhook_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The three headers, with one signature entry per secret (space-separated, as during a rotation)."""
    at = int(time.time()) if timestamp is None else timestamp
    msg_id = webhook_id or f"msg_{TASK_ID}:{at}"
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(at),
        "webhook-signature": " ".join(signature(secret, msg_id, at, body) for secret in secrets_),
    }
