"""The provider's webhook: Standard Webhooks verification, webhook-id dedupe, and waking the waiting analysis."""

from skin_analysis.webhooks.dedupe import Deduped, WebhookDedupe
from skin_analysis.webhooks.receive import ReceiveWebhook, WebhookReply
from skin_analysis.webhooks.rejection import RejectionReason, WebhookRejected
from skin_analysis.webhooks.signing_keys import (
    SecretsManagerSigningKeys,
    SigningKeys,
    SigningKeySource,
    StaticSigningKeys,
    signing_keys_from,
)
from skin_analysis.webhooks.verification import Notification, VerifiedWebhook, WebhookVerifier, raw_body
from skin_analysis.webhooks.wake import WAKE_OUTPUT, WakeAnalysis, WakeResult, WebhookOutcome

__all__ = [
    "WAKE_OUTPUT",
    "Deduped",
    "Notification",
    "ReceiveWebhook",
    "RejectionReason",
    "SecretsManagerSigningKeys",
    "SigningKeySource",
    "SigningKeys",
    "StaticSigningKeys",
    "VerifiedWebhook",
    "WakeAnalysis",
    "WakeResult",
    "WebhookDedupe",
    "WebhookOutcome",
    "WebhookRejected",
    "WebhookReply",
    "WebhookVerifier",
    "raw_body",
    "signing_keys_from",
]
