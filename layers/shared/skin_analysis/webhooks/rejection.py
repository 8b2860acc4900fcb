"""Why a webhook delivery was refused: one reason per failure, each answered without touching any state."""

from __future__ import annotations

from enum import StrEnum
from http import HTTPStatus


class RejectionReason(StrEnum):
    """The reason a delivery was refused; the `reason` dimension of the WebhooksRejected metric."""

    #: `webhook-id`, `webhook-timestamp` or `webhook-signature` is absent or empty.
    MISSING_HEADERS = "missing_headers"
    #: A header is present but unparsable: a timestamp that is not a number, a signature entry without
    #: `v1,`, or a signature that is not base64.
    MALFORMED_HEADERS = "malformed_headers"
    #: `webhook-timestamp` is more than 5 minutes old (a replay, or a sender with a slow clock).
    STALE = "stale"
    #: `webhook-timestamp` is more than 5 minutes ahead.
    FROM_THE_FUTURE = "from_the_future"
    #: No `v1` signature matches the current or the previous secret: forged, tampered or the wrong secret.
    INVALID_SIGNATURE = "invalid_signature"
    #: The body cannot be the bytes that were signed: base64 that does not decode, or bytes that are not UTF-8.
    MALFORMED_BODY = "malformed_body"
    #: The signature verifies but the body is not a task notification (`data.task_id` missing).
    UNEXPECTED_BODY = "unexpected_body"

    @property
    def status_code(self) -> int:
        """401 for anything that did not verify; 400 for a verified body we cannot use."""
        if self is RejectionReason.UNEXPECTED_BODY:
            return HTTPStatus.BAD_REQUEST
        return HTTPStatus.UNAUTHORIZED


class WebhookRejected(Exception):
    """Raised for a delivery that must be refused; `reason` says why, `detail` is safe to send back."""

    def __init__(self, reason: RejectionReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
