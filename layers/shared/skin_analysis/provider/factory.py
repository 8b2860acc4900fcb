"""Builds the provider client a Lambda function uses: its settings, the API key secret and the shared limiter.

Every function that calls the provider (submitter, check status, finalize) builds its client here, once per
execution environment, so they all take permits from the same DynamoDB rate limiter of the same API key.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Protocol

from aws_lambda_powertools.utilities.parameters import get_secret

from skin_analysis.provider.client import ApiVersion, PerfectCorpClient, Timeouts
from skin_analysis.ratelimit import DynamoDBRateLimiter, RateLimitConfig, key_identity
from skin_analysis.settings import ConfigurationError

if TYPE_CHECKING:
    import requests
    from mypy_boto3_dynamodb import DynamoDBClient

#: How long a cached API key is reused before Secrets Manager is asked again (a new key reaches warm
#: environments within this time when the client is rebuilt; a client built at cold start keeps its key).
SECRET_MAX_AGE_SECONDS = 300
#: How long a call waits for a permit before `RateBudgetExhausted` (the state machine retries it with backoff).
DEFAULT_PERMIT_MAX_WAIT_SECONDS = 15.0


class ProviderClientSettings(Protocol):
    """The settings fields the client is built from (SubmitterSettings, CheckStatusSettings, FinalizeSettings)."""

    @property
    def provider_base_url(self) -> str: ...
    @property
    def provider_api_version(self) -> str: ...
    @property
    def provider_api_key_secret_id(self) -> str: ...
    @property
    def provider_timeout_seconds(self) -> float: ...
    @property
    def rate_limit_table(self) -> str: ...
    @property
    def rate_budget(self) -> int: ...
    @property
    def rate_window_seconds(self) -> int: ...
    @property
    def rate_read_reserve(self) -> int: ...


def provider_client_from(
    settings: ProviderClientSettings,
    *,
    api_key: str | None = None,
    permit_max_wait: float = DEFAULT_PERMIT_MAX_WAIT_SECONDS,
    session: requests.Session | None = None,
    dynamodb: DynamoDBClient | None = None,
) -> PerfectCorpClient:
    """A client of the configured provider whose every counted call first takes a permit from the shared limiter.

    The API key comes from Secrets Manager (`provider_api_key_secret_id`) unless `api_key` is given. Permits
    wait at most `permit_max_wait` seconds (the submitter passes `create_permit_max_wait_seconds`).
    """
    key = api_key if api_key is not None else provider_api_key(settings.provider_api_key_secret_id)
    limiter = DynamoDBRateLimiter(
        settings.rate_limit_table,
        key_identity(key),
        RateLimitConfig(
            budget=settings.rate_budget,
            window_s=settings.rate_window_seconds,
            read_reserve=settings.rate_read_reserve,
        ),
        client=dynamodb,
    )
    return PerfectCorpClient(
        base_url=settings.provider_base_url,
        api_key=key,
        version=ApiVersion(settings.provider_api_version),
        timeouts=Timeouts(read=settings.provider_timeout_seconds),
        session=session,
        budget=limiter.as_call_budget(max_wait=permit_max_wait),
    )


def provider_api_key(secret_id: str) -> str:
    """The provider API key stored in Secrets Manager (cached for SECRET_MAX_AGE_SECONDS)."""
    return api_key_from_secret(get_secret(secret_id, max_age=SECRET_MAX_AGE_SECONDS), secret_id)


def api_key_from_secret(value: str, secret_id: str) -> str:
    """The key in a secret string: the bare key, or a JSON object with an `api_key` field."""
    text = value.strip()
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        field = document.get("api_key") if isinstance(document, dict) else None
        text = field.strip() if isinstance(field, str) else ""
    if not text:
        raise ConfigurationError(
            f'secret {secret_id} holds no provider API key: store the bare key or {{"api_key": "..."}}'
        )
    return text
