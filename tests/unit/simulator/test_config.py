"""`--set NAME=VALUE` and `PATCH /_sim/config` parsing of the webhook settings."""

from __future__ import annotations

import pytest

from skin_analysis_local.simulator.config import STANDARD_WEBHOOKS_SCHEDULE, SimulatorConfig
from skin_analysis_local.simulator.state import SimulatorState


def test_webhook_defaults_follow_the_standard_webhooks_schedule_compressed() -> None:
    config = SimulatorConfig()
    assert config.webhook_retry_delays == STANDARD_WEBHOOKS_SCHEDULE
    assert config.webhook_backoff_scale == 0.01
    assert (config.webhook_timeout, config.webhook_require_https, config.webhook_secret_unpadded) == (15.0, False, True)


def test_cli_strings() -> None:
    config = SimulatorConfig().with_overrides(
        {"webhook_retry_delays": "0.5, 2,10", "webhook_urls": "http://a/h,http://b/h", "webhook_secret": "none"}
    )
    assert config.webhook_retry_delays == (0.5, 2.0, 10.0)
    assert config.webhook_urls == ("http://a/h", "http://b/h")
    assert config.webhook_secret is None


def test_json_values() -> None:
    config = SimulatorConfig().with_values(
        {"unpolled_window": None, "webhook_retry_delays": [1, 2.5], "strict_params": True, "fixtures": {"ab": "x"}}
    )
    assert (config.unpolled_window, config.webhook_retry_delays, config.strict_params) == (None, (1.0, 2.5), True)
    assert config.fixtures == {"ab": "x"}


def test_startup_checks_the_endpoints_and_secret() -> None:
    with pytest.raises(ValueError, match="https URL"):
        SimulatorState(SimulatorConfig(webhook_urls=("http://127.0.0.1/h",), webhook_require_https=True))
    with pytest.raises(ValueError, match="whsec_"):
        SimulatorState(SimulatorConfig(webhook_secret="plain"))
    state = SimulatorState(SimulatorConfig(webhook_urls=("http://127.0.0.1/h",)))
    assert state.webhooks.secret.startswith("whsec_")
    assert [e.url for e in state.webhooks.endpoints] == ["http://127.0.0.1/h"]
