"""The api function's settings and wiring: loud on a missing name, nothing reaches AWS or the provider at start."""

from __future__ import annotations

from typing import NoReturn

import boto3
import pytest

from skin_analysis.api import ApiServices
from skin_analysis.settings import (
    ApiErasureSettings,
    ApiRequestSettings,
    ApiSettings,
    ConfigurationError,
    load_settings,
)

_API = {
    "ANALYSES_TABLE": "analyses",
    "PARTNERS_TABLE": "partners",
    "IDEMPOTENCY_TABLE": "idempotency",
    "UPLOADS_BUCKET": "uploads",
    "RESULTS_BUCKET": "results",
}
_ERASURE = {
    "TASK_INDEX_TABLE": "task-index",
    "RATE_LIMIT_TABLE": "rate-limit",
    "PROVIDER_BASE_URL": "https://provider.invalid",
    "PROVIDER_API_KEY_SECRET_ID": "provider-key",
}


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    load_settings.cache_clear()


def test_erasure_settings_name_a_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in _ERASURE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TASK_INDEX_TABLE")

    with pytest.raises(ConfigurationError, match="TASK_INDEX_TABLE"):
        load_settings(ApiErasureSettings)


def test_services_are_wired_without_calling_aws_or_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the function's environment (the network is blocked in this tier)
    for name, value in {**_API, **_ERASURE, "UPLOAD_URL_TTL_SECONDS": "600", "MAX_UPLOAD_BYTES": "1000"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FETCH_QUEUE_URL", "http://127.0.0.1:1/123456789012/image-fetches")
    built: list[str] = []

    def provider() -> NoReturn:
        built.append("provider")
        pytest.fail("the provider client was built before a DELETE needed it")

    # When the services are built as at a cold start
    services = ApiServices.from_settings(
        load_settings(ApiSettings),
        load_settings(ApiErasureSettings),
        boto3.client("s3", region_name="us-east-1"),
        requests=load_settings(ApiRequestSettings),
        sqs=boto3.client("sqs", region_name="us-east-1"),
        provider=provider,
    )

    # Then the settings reached the use cases, and no provider client was built
    assert services.max_upload_bytes == 1000
    assert built == []
