"""The signing secrets from Secrets Manager: cached, and read again soon after a rotation, but not on every forgery."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING

import pytest

from skin_analysis.settings import ConfigurationError
from skin_analysis.webhooks import RejectionReason, SecretsManagerSigningKeys, WebhookRejected, WebhookVerifier
from tests.unit.webhooks.signing import new_secret, notification_body, signed_headers

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_secretsmanager import SecretsManagerClient


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def secrets(boto_session: boto3.Session) -> SecretsManagerClient:
    return boto_session.client("secretsmanager")


def _secret(client: SecretsManagerClient, current: str, previous: str | None = None) -> str:
    document = json.dumps({"current": current, "previous": previous})
    return client.create_secret(Name=f"webhook-{uuid.uuid4().hex[:8]}", SecretString=document)["ARN"]


def test_a_rotation_reaches_a_warm_environment_after_the_refresh_interval(secrets: SecretsManagerClient) -> None:
    # Given a warm environment that read the secret and caches it for 5 minutes
    old, new = new_secret(), new_secret()
    secret_id = _secret(secrets, old)
    clock = FakeClock()
    keys = SecretsManagerSigningKeys(secret_id, max_age=300, refresh_interval=30, clock=clock)
    verifier = WebhookVerifier(keys)
    body = notification_body()
    assert verifier.verify(body, signed_headers(body, old)).secret_slot == "current"

    # When the operator rotates and the provider signs with the new secret at once
    secrets.put_secret_value(SecretId=secret_id, SecretString=json.dumps({"current": new, "previous": old}))

    # Then within the refresh interval the cached secret still decides (no read per failed signature)
    with pytest.raises(WebhookRejected) as refused:
        verifier.verify(body, signed_headers(body, new))
    assert refused.value.reason is RejectionReason.INVALID_SIGNATURE

    # And once it has passed, the first non-matching signature reads the secret again and verifies
    clock.now += 31
    assert verifier.verify(body, signed_headers(body, new)).secret_slot == "current"
    assert verifier.verify(body, signed_headers(body, old)).secret_slot == "previous"
    # A second forgery right after does not read it again
    assert keys.refreshed() is None


def test_a_secret_that_is_not_the_expected_document_is_a_configuration_error(secrets: SecretsManagerClient) -> None:
    secret_id = secrets.create_secret(Name=f"webhook-{uuid.uuid4().hex[:8]}", SecretString='{"previous": null}')["ARN"]
    with pytest.raises(ConfigurationError, match='no "current"'):
        SecretsManagerSigningKeys(secret_id).keys()


def test_cached_keys_are_reused(secrets: SecretsManagerClient) -> None:
    keys = SecretsManagerSigningKeys(_secret(secrets, new_secret()), clock=time.monotonic)
    assert keys.keys() is keys.keys()
