"""The provider client factory: settings become a client whose counted calls take permits from the limiter."""

from __future__ import annotations

import boto3
import pytest

from skin_analysis.provider import ApiVersion
from skin_analysis.provider.factory import api_key_from_secret, provider_client_from
from skin_analysis.ratelimit import CallBudget, RateLimitConfig
from skin_analysis.settings import ConfigurationError, FinalizeSettings

SETTINGS = FinalizeSettings(
    analyses_table="analyses",
    event_bus_name="bus",
    results_bucket="results",
    provider_base_url="https://yce-api-01.perfectcorp.com/",
    provider_api_version="v2.0",
    provider_api_key_secret_id="stack/provider-api-key",
    provider_timeout_seconds=7.5,
    rate_limit_table="ratelimit",
    rate_budget=20,
    rate_window_seconds=10,
    rate_read_reserve=4,
)


@pytest.mark.parametrize(
    ("stored", "key"),
    [
        ("sk-live-abc", "sk-live-abc"),
        ("  sk-live-abc\n", "sk-live-abc"),
        ('{"api_key": "sk-live-abc"}', "sk-live-abc"),
        ('{"api_key": " sk-live-abc "}', "sk-live-abc"),
    ],
)
def test_the_secret_holds_the_bare_key_or_an_api_key_field(stored: str, key: str) -> None:
    assert api_key_from_secret(stored, "s") == key


@pytest.mark.parametrize("stored", ["", "   ", "{}", '{"api_key": ""}', '{"key": "x"}', "{not json"])
def test_a_secret_without_a_key_fails_loudly_naming_the_secret(stored: str) -> None:
    with pytest.raises(ConfigurationError, match="stack/provider-api-key"):
        api_key_from_secret(stored, "stack/provider-api-key")


def test_the_client_takes_its_version_timeout_and_budget_from_the_settings() -> None:
    # Given function settings with a scaled budget and an explicit key (no Secrets Manager)
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    # When the client is built
    client = provider_client_from(SETTINGS, api_key="sk-test", permit_max_wait=3.0, dynamodb=dynamodb)
    # Then it talks the configured version and every counted call goes through the limiter of that budget
    assert client.version is ApiVersion.V2_0
    budget = client._budget
    assert isinstance(budget, CallBudget)
    assert budget.max_wait == 3.0
    assert budget.limiter.config == RateLimitConfig(budget=20, window_s=10, read_reserve=4)
    assert client._timeouts.read == 7.5
    assert client._base_url == "https://yce-api-01.perfectcorp.com"


@pytest.mark.parametrize(
    ("window_s", "setting", "wait"),
    [
        (30, 90.0, 32.0),  # the burst bench's scaled window: wait for the whole window, keeping its place
        (300, 90.0, 90.0),  # the provider's window: as long as the function's timeout leaves room for
        (300, 20.0, 20.0),
    ],
)
def test_finalize_waits_for_a_read_permit_up_to_a_window_within_its_setting(
    window_s: int, setting: float, wait: float
) -> None:
    settings = SETTINGS.model_copy(update={"rate_window_seconds": window_s, "read_permit_max_wait_seconds": setting})
    assert settings.read_permit_wait == wait
