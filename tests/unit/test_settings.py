"""Settings fail loudly with the variable's name and never invent names of resources."""

from __future__ import annotations

import pytest

from skin_analysis.settings import (
    ApiSettings,
    ConfigurationError,
    IngestSettings,
    SubmitterSettings,
    UncertainSubmitPolicy,
    load_settings,
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    load_settings.cache_clear()


def test_missing_table_name_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANALYSES_TABLE", raising=False)
    monkeypatch.setenv("EVENT_BUS_NAME", "bus")
    monkeypatch.setenv("RESULTS_BUCKET", "results")
    monkeypatch.setenv("STATE_MACHINE_ARN", "arn:aws:states:us-east-1:123456789012:stateMachine:x")
    with pytest.raises(ConfigurationError, match="ANALYSES_TABLE"):
        load_settings(IngestSettings)


def test_ingest_defaults_and_comma_separated_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYSES_TABLE", "analyses")
    monkeypatch.setenv("EVENT_BUS_NAME", "bus")
    monkeypatch.setenv("RESULTS_BUCKET", "results")
    monkeypatch.setenv("STATE_MACHINE_ARN", "arn:aws:states:us-east-1:123456789012:stateMachine:x")
    monkeypatch.setenv("DEFAULT_ACTIONS", "wrinkle, pore,,acne")
    settings = load_settings(IngestSettings)
    assert settings.default_actions == ("wrinkle", "pore", "acne")
    assert settings.default_quality == "sd"
    assert load_settings(IngestSettings) is settings


def test_invalid_policy_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "ANALYSES_TABLE": "a",
        "TASK_INDEX_TABLE": "t",
        "RATE_LIMIT_TABLE": "r",
        "RESULTS_BUCKET": "b",
        "PROVIDER_BASE_URL": "http://127.0.0.1:1",
        "PROVIDER_API_KEY_SECRET_ID": "secret",
        "SUBMISSION_QUEUE_URL": "http://127.0.0.1:1/123456789012/submissions",
    }.items():
        monkeypatch.setenv(name, value)
    assert load_settings(SubmitterSettings).uncertain_submit_policy is UncertainSubmitPolicy.RETRY
    load_settings.cache_clear()
    monkeypatch.setenv("UNCERTAIN_SUBMIT_POLICY", "maybe")
    with pytest.raises(ConfigurationError, match="UNCERTAIN_SUBMIT_POLICY"):
        load_settings(SubmitterSettings)


def test_allow_list_is_empty_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANALYSES_TABLE", "PARTNERS_TABLE", "IDEMPOTENCY_TABLE", "UPLOADS_BUCKET", "RESULTS_BUCKET"):
        monkeypatch.setenv(name, name.lower())
    monkeypatch.setenv("IMAGE_URL_ALLOW_HOSTS", "")
    assert load_settings(ApiSettings).image_url_allow_hosts == ()
