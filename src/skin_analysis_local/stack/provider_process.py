"""The provider simulator in a process of its own, so its work (drawing masks, signing webhooks) never holds the
GIL that moto's server, and so every AWS call of the stack, depends on.

`SimulatorProcess.spawn` starts the interpreter early (its imports overlap with moto's boot and the deploy);
`configure` sends the settings once they are known and waits until the simulator listens; `stop` closes its stdin,
which it takes as the order to stop (it also stops if `local up` dies, since the pipe closes then too).
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from skin_analysis_local.simulator.config import SimulatorConfig

_READY_TIMEOUT_SECONDS = 30.0  # imports on a busy 2-core machine at boot, when every worker imports too
_STOP_TIMEOUT_SECONDS = 10.0


class SimulatorFailedToStartError(RuntimeError):
    """The simulator process exited, refused its settings, or did not listen in time."""


class SimulatorProcess:
    """`python -m skin_analysis_local.simulator.child HOST PORT`, with its output in `log_path`."""

    def __init__(self, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self._process = process
        self._log_path = log_path

    @classmethod
    def spawn(cls, host: str, port: int, log_path: Path) -> SimulatorProcess:
        """Start the interpreter; it imports the simulator and waits for `configure`."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "skin_analysis_local.simulator.child", host, str(port)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        return cls(process, log_path)

    def configure(self, config: SimulatorConfig) -> str:
        """Send the settings, wait for the simulator to listen, and return its URL."""
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None:
            raise SimulatorFailedToStartError("the provider simulator was started without its pipes")
        stdin.write(json.dumps(config.as_values()).encode() + b"\n")
        stdin.flush()
        ready, _, _ = select.select([stdout], [], [], _READY_TIMEOUT_SECONDS)
        line = stdout.readline() if ready else b""
        answer: dict[str, str] = json.loads(line) if line.strip() else {}
        if "url" not in answer:
            reason = answer.get("error") or f"no answer (exit code {self._process.poll()})"
            raise SimulatorFailedToStartError(f"the provider simulator did not start: {reason}; see {self._log_path}")
        return answer["url"]

    def stop(self) -> None:
        """Close its stdin (its order to stop) and wait; kill it if it does not go."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
