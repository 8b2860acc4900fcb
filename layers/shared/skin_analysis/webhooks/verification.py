"""Standard Webhooks verification with the official library, over the exact bytes that were signed.

The body is verified as API Gateway hands it over: base64-decoded only when `isBase64Encoded`, never parsed
and re-serialized first. Each secret is tried in turn (current, then previous); a failure that does not depend
on the secret (missing, malformed or stale headers) ends the check at once. The library raises `ValueError`,
`binascii.Error` or `UnicodeDecodeError` on malformed input besides its own `WebhookVerificationError`: every
one of them becomes a `WebhookRejected` with its reason, never an unhandled error.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, ValidationError
from standardwebhooks.webhooks import WebhookVerificationError

from skin_analysis.webhooks.rejection import RejectionReason, WebhookRejected
from skin_analysis.webhooks.signing_keys import CURRENT_SLOT

if TYPE_CHECKING:
    from collections.abc import Mapping

    from skin_analysis.webhooks.signing_keys import SigningKeys, SigningKeySource

# The messages of standardwebhooks 1.1.0's WebhookVerificationError (tests pin each one to its reason).
_LIBRARY_REASONS = {
    "Missing required headers": RejectionReason.MISSING_HEADERS,
    "Invalid Signature Headers": RejectionReason.MALFORMED_HEADERS,
    "Message timestamp too old": RejectionReason.STALE,
    "Message timestamp too new": RejectionReason.FROM_THE_FUTURE,
    "No matching signature found": RejectionReason.INVALID_SIGNATURE,
}
_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class _TaskData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    task_id: str
    task_status: str | None = None


class Notification(BaseModel):
    """The provider's thin body (contract §7.2): which task finished. Its status is a hint; the GET decides."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    created_at: int | None = None
    data: _TaskData

    @property
    def task_id(self) -> str:
        """The provider task the notification is about."""
        return self.data.task_id


@dataclass(frozen=True, slots=True)
class VerifiedWebhook:
    """A delivery whose signature matched one of our secrets."""

    webhook_id: str
    notification: Notification
    #: "current" or "previous": which secret verified it (a rotation is over when "previous" stops appearing).
    secret_slot: str

    @property
    def task_id(self) -> str:
        """The provider task the delivery is about."""
        return self.notification.task_id

    @property
    def signed_with_previous(self) -> bool:
        """Verified by the previous secret: the sender has not switched to the current one yet."""
        return self.secret_slot != CURRENT_SLOT


def raw_body(body: str | None, is_base64_encoded: bool | None) -> bytes:
    """The bytes the sender signed, from a REST API proxy event's `body` and `isBase64Encoded`."""
    if body is None:
        return b""
    if not is_base64_encoded:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookRejected(RejectionReason.MALFORMED_BODY, "the base64 body does not decode") from exc


class WebhookVerifier:
    """Verifies deliveries against the keys of a `SigningKeySource`."""

    def __init__(self, keys: SigningKeySource) -> None:
        self._keys = keys

    def verify(self, body: bytes, headers: Mapping[str, str | None]) -> VerifiedWebhook:
        """The verified delivery, or WebhookRejected with the reason."""
        wanted = _standard_headers(headers)
        keys = self._keys.keys()
        try:
            slot = _verify_with(keys, body, wanted)
        except WebhookRejected as rejected:
            fresh = self._keys.refreshed() if rejected.reason is RejectionReason.INVALID_SIGNATURE else None
            if fresh is None or fresh == keys:
                raise
            # The secret may have been rotated since it was cached: one more try with what is stored now.
            slot = _verify_with(fresh, body, wanted)
        return VerifiedWebhook(wanted["webhook-id"], _notification(body), slot)


def _standard_headers(headers: Mapping[str, str | None]) -> dict[str, str]:
    """The three Standard Webhooks headers by lower-case name (API Gateway keeps the sender's case)."""
    found: dict[str, str] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _HEADERS and isinstance(value, str) and value:
            found[lowered] = value
    return found


def _verify_with(keys: SigningKeys, body: bytes, headers: dict[str, str]) -> str:
    """The slot of the first key whose signature matches; WebhookRejected otherwise."""
    for key in keys:
        try:
            key.webhook.verify(body, headers, json_parse=False)
        except WebhookVerificationError as exc:
            reason = _LIBRARY_REASONS.get(str(exc), RejectionReason.INVALID_SIGNATURE)
            if reason is not RejectionReason.INVALID_SIGNATURE:
                raise WebhookRejected(reason, str(exc)) from exc
            continue
        except UnicodeDecodeError as exc:
            raise WebhookRejected(RejectionReason.MALFORMED_BODY, "the body is not UTF-8") from exc
        except (binascii.Error, ValueError) as exc:  # binascii.Error is a ValueError; named for the reader
            raise WebhookRejected(RejectionReason.MALFORMED_HEADERS, "webhook-signature is malformed") from exc
        return key.slot
    raise WebhookRejected(RejectionReason.INVALID_SIGNATURE, "no signature matches")


def _notification(body: bytes) -> Notification:
    try:
        return Notification.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        raise WebhookRejected(RejectionReason.UNEXPECTED_BODY, "the body is not a task notification") from exc
