"""The simulator's Standard Webhooks signing, checked against the official library (no network)."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from skin_analysis_local.simulator.signing import (
    check_webhook_url,
    decode_secret,
    generate_secret,
    sign,
    signature_header,
)

BODY = b'{"created_at":1761112848,"data":{"task_id":"abc","task_status":"success"}}'
DOCS_SECRET = "whsec_NDQzMzYxNzkzMzE0NjYyNDM6OTIxOTcwNDIxODQ"  # the docs' example: unpadded (contract §7.3)


def headers(secrets: list[str], body: bytes = BODY, webhook_id: str = "msg_abc:1761112848") -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, webhook_id, timestamp, body),
    }


def test_signature_matches_the_official_library() -> None:
    secret = generate_secret(unpadded=False)
    assert Webhook(secret).verify(BODY, headers([secret])) == {
        "created_at": 1761112848,
        "data": {"task_id": "abc", "task_status": "success"},
    }
    assert sign(secret, "msg_abc:1", 1, BODY) == Webhook(secret).sign(
        "msg_abc:1", datetime.fromtimestamp(1, tz=UTC), BODY.decode()
    )


def test_the_docs_unpadded_secret_decodes_leniently() -> None:
    assert decode_secret(DOCS_SECRET) == b"44336179331466243:92197042184"
    Webhook(DOCS_SECRET).verify(BODY, headers([DOCS_SECRET]))


def test_generated_secrets() -> None:
    unpadded, padded = generate_secret(unpadded=True), generate_secret(unpadded=False)
    assert unpadded.startswith("whsec_")
    assert "=" not in unpadded
    assert padded.endswith("=")
    assert len(decode_secret(unpadded)) == len(decode_secret(padded)) == 32
    assert generate_secret(unpadded=True) != unpadded


def test_two_secrets_give_two_entries_and_either_verifies() -> None:
    old, new = generate_secret(unpadded=True), generate_secret(unpadded=True)
    signed = headers([new, old])
    assert len(signed["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(BODY, signed)
    Webhook(new).verify(BODY, signed)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret(unpadded=True)).verify(BODY, signed)


def test_the_signature_covers_the_exact_bytes() -> None:
    secret = generate_secret(unpadded=True)
    pretty = b'{"created_at": 1761112848, "data": {"task_id": "abc", "task_status": "success"}}'
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(pretty, headers([secret]))


@given(st.binary(min_size=1, max_size=64), st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-0123456789", min_size=1))
def test_any_key_and_id_verify(key: bytes, task_id: str) -> None:
    for secret in ("whsec_" + base64.b64encode(key).decode(), "whsec_" + base64.b64encode(key).decode().rstrip("=")):
        assert decode_secret(secret) == key
        Webhook(secret).verify(BODY, headers([secret], webhook_id=f"msg_{task_id}:1"))


@pytest.mark.parametrize("secret", ["", "whsec_", "NDQz", "whsec_not base64!", "whsec_A"])
def test_bad_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="secret"):
        decode_secret(secret)


@pytest.mark.parametrize(
    ("url", "require_https", "ok"),
    [
        ("http://127.0.0.1:3000/webhooks/perfect", False, True),
        ("https://hooks.example.com/p", True, True),
        ("http://127.0.0.1:3000/webhooks/perfect", True, False),
        ("ftp://example.com/x", False, False),
        ("/relative", False, False),
    ],
)
def test_endpoint_urls(url: str, require_https: bool, ok: bool) -> None:
    if ok:
        assert check_webhook_url(url, require_https) == url
    else:
        with pytest.raises(ValueError, match="URL"):
            check_webhook_url(url, require_https)
