"""Running `skin-analysis local up` as a subprocess, and reading what its functions were invoked with."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skin_analysis_local.stack.records import read_records
from skin_analysis_local.stack.statedir import LOCAL_JSON, OUTPUTS_JSON
from tests.helpers import free_port, wait_until

if TYPE_CHECKING:
    from collections.abc import Callable

CLI = Path(sys.executable).with_name("skin-analysis")
BOOT_TIMEOUT = 60.0  # generous: the bar (10 s) is asserted by a test, not by the fixture
STOP_TIMEOUT = 30.0


class StackFailedToStartError(RuntimeError):
    """`local up` exited, or wrote no local.json in time; the message carries its output."""


@dataclass
class RunningStack:
    """A `local up` process and what it wrote."""

    process: subprocess.Popen[bytes]
    state_dir: Path
    info: dict[str, Any]
    outputs: dict[str, str]
    boot_seconds: float

    @property
    def output(self) -> str:
        """What the process printed so far."""
        return (self.state_dir / "local-up.out").read_text(errors="replace")

    def __enter__(self) -> RunningStack:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the process and wait for it (killed after STOP_TIMEOUT); returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_local_stack(state_dir: Path, *extra_args: str) -> RunningStack:
    """Start `local up` on free ports in `state_dir` and wait for local.json."""
    command = [
        str(CLI),
        "local",
        "up",
        "--state-dir",
        str(state_dir),
        "--aws-port",
        str(free_port()),
        "--api-port",
        str(free_port()),
        "--provider-port",
        str(free_port()),
        *extra_args,
    ]
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    started = time.monotonic()
    with (state_dir / "local-up.out").open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    local_json = state_dir / LOCAL_JSON
    deadline = started + BOOT_TIMEOUT
    while not local_json.is_file():
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                process.kill()
                process.wait()
            output = (state_dir / "local-up.out").read_text(errors="replace")
            raise StackFailedToStartError(f"local up did not start (exit {process.returncode}):\n{output}")
        time.sleep(0.02)
    boot_seconds = time.monotonic() - started
    info = json.loads(local_json.read_text())
    outputs = json.loads((state_dir / OUTPUTS_JSON).read_text())
    return RunningStack(process, state_dir, info, outputs, boot_seconds)


def invocations(state_dir: Path, function: str, source: str | None = None) -> list[dict[str, Any]]:
    """The invocation records of `function` (logical id or name), optionally only those from `source`."""
    return [record for record in read_records(state_dir, function) if source is None or record["source"] == source]


def wait_for_invocation(
    state_dir: Path,
    function: str,
    matches: Callable[[dict[str, Any]], bool],
    timeout: float,
    source: str | None = None,
) -> dict[str, Any]:
    """The first record of `function` whose event `matches`, waiting up to `timeout` seconds for it."""

    def found() -> dict[str, Any] | None:
        return next((record for record in invocations(state_dir, function, source) if matches(record)), None)

    return wait_until(found, timeout, interval=0.05, what=f"an invocation of {function}")
