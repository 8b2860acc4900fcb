"""Standard Webhooks signing as Perfect Corp does it (contract §7.3, §7.4): `whsec_` secrets, HMAC-SHA256 `v1`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"  # noqa: S105  (the format's prefix, not a secret)
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_SECRET_BYTES = 32


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret; unpadded base64 is accepted, as the docs' example is."""
    raw = secret.removeprefix(SECRET_PREFIX)
    if not secret.startswith(SECRET_PREFIX) or not _BASE64.fullmatch(raw):
        raise ValueError("a webhook secret is whsec_ followed by base64")
    try:
        key = base64.b64decode(raw.rstrip("=") + "=" * (-len(raw.rstrip("=")) % 4))
    except binascii.Error as error:
        raise ValueError(f"the webhook secret's base64 does not decode: {error}") from error
    if not key:
        raise ValueError("the webhook secret is empty")
    return key


def generate_secret(*, unpadded: bool) -> str:
    """`whsec_` + base64 of 32 random bytes; `unpadded` drops the `=` like the docs' example secret."""
    encoded = base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()
    return SECRET_PREFIX + (encoded.rstrip("=") if unpadded else encoded)


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>` over the exact bytes sent."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(decode_secret(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_: list[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: one space-separated `v1,` entry per secret (rotation)."""
    return " ".join(sign(secret, webhook_id, timestamp, body) for secret in secrets_)


def check_webhook_url(url: str, require_https: bool) -> str:
    """The URL if it can be an endpoint (http(s) with a host; HTTPS only when required), else ValueError."""
    parts = urlsplit(url)
    schemes = ("https",) if require_https else ("http", "https")
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"webhook endpoint {url!r} must be an {' or '.join(schemes)} URL with a host")
    return url
