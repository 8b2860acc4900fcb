"""The simulator as `local up` runs it: a child process that takes its settings on stdin and stops when it closes."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest

from skin_analysis_local.simulator import SimulatorConfig, SimulatorControl
from skin_analysis_local.stack.provider_process import SimulatorFailedToStartError, SimulatorProcess
from tests.helpers import free_port

if TYPE_CHECKING:
    from pathlib import Path


def test_the_child_serves_with_every_setting_it_was_sent_and_stops_when_told(tmp_path: Path) -> None:
    # Given a simulator process, started before its settings are known
    port = free_port()
    process = SimulatorProcess.spawn("127.0.0.1", port, tmp_path / "simulator.log")
    config = SimulatorConfig(
        api_keys=("sk-child-a", "sk-child-b"),
        webhook_urls=("http://127.0.0.1:9/hooks",),
        initial_units=12.5,
        delay=0.25,
        fixtures={"0" * 64: "error_src_face_too_small"},
    ).with_overrides({"rate_limit": "7", "rate_window": "3.5"})
    try:
        # When it is configured
        url = process.configure(config)

        # Then it listens where it was told, with those settings, tuples and maps included
        assert url == f"http://127.0.0.1:{port}"
        served = SimulatorControl(url).config()
        assert served["api_keys"] == ["sk-child-a", "sk-child-b"]
        assert served["webhook_urls"] == ["http://127.0.0.1:9/hooks"]
        assert served["initial_units"] == 12.5
        assert served["delay"] == 0.25
        assert served["rate_limit"] == 7
        assert served["rate_window"] == 3.5
        assert served["fixtures"] == {"0" * 64: "error_src_face_too_small"}
    finally:
        process.stop()

    # And once stopped (its stdin closed), nothing listens on the port any more
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


def test_a_simulator_that_cannot_listen_fails_the_start_with_its_reason(tmp_path: Path) -> None:
    # Given a port something else already listens on
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = SimulatorProcess.spawn("127.0.0.1", taken.getsockname()[1], tmp_path / "simulator.log")
        try:
            # When the simulator is configured to listen there, then the start fails with the bind's own error
            with pytest.raises(SimulatorFailedToStartError, match="in use"):
                process.configure(SimulatorConfig())
        finally:
            process.stop()
