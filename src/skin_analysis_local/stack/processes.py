"""Worker processes: spawned fresh, or forked from a zygote that has the heavy imports done (worker_main.py).

A forked worker is not `local up`'s child, so it is watched and signalled through a pidfd (opened when the
worker reports its pid), which can never hit another process that reused the pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

WORKER_MAIN = Path(__file__).with_name("worker_main.py")
# Third-party modules the handlers import; the zygote imports them once for every worker.
PRELOAD = (
    "boto3",
    "botocore.client",
    "botocore.session",
    "pydantic",
    "pydantic_settings",
    "pynamodb.models",
    "pynamodb.attributes",
    "aws_lambda_powertools",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.data_classes",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.typing",
    "aws_xray_sdk.core",
    "requests",
    "standardwebhooks",
    "PIL.Image",
    "pillow_heif",
)


class WorkerProcess:
    """The calls `_Worker` makes on its process, whichever way it was started."""

    def attach(self, pid: int) -> None:
        """Learn the pid the worker reported (a spawned process knows it already)."""

    def poll(self) -> int | None:
        """The exit code, or None while it runs."""
        raise NotImplementedError

    def send_signal(self, sig: int) -> None:
        """Signal the process if it still runs."""
        raise NotImplementedError

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None if it still runs after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (code := self.poll()) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return code


class SpawnedProcess(WorkerProcess):
    """A worker started with its own interpreter."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    def poll(self) -> int | None:
        """The exit code, or None while it runs."""
        return self._process.poll()

    def send_signal(self, sig: int) -> None:
        """Signal the process if it still runs."""
        if self._process.poll() is None:
            self._process.send_signal(sig)

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None if it still runs after `timeout` seconds."""
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None


class ForkedProcess(WorkerProcess):
    """A worker forked by the zygote; until it reports its pid it can only be abandoned (its pipes closed)."""

    _EXITED = -1  # the zygote reaps forked workers, so their exit status is not known here

    def __init__(self) -> None:
        self._pidfd: int | None = None
        self._lock = threading.Lock()
        self._exited = False

    def attach(self, pid: int) -> None:
        """Open a pidfd on the reported pid (the worker is alive: it has just written to its pipe)."""
        with self._lock:
            try:
                self._pidfd = os.pidfd_open(pid)
            except ProcessLookupError:
                self._exited = True

    def poll(self) -> int | None:
        """The exit code (-1: exited), or None while it runs or has not reported its pid yet."""
        with self._lock:
            if self._exited:
                return self._EXITED
            if self._pidfd is None or not select.select([self._pidfd], [], [], 0)[0]:
                return None
            self._exited = True
            os.close(self._pidfd)
            self._pidfd = None
            return self._EXITED

    def send_signal(self, sig: int) -> None:
        """Signal the process through its pidfd.

        Before it reported its pid the worker is abandoned instead: once its pipes are closed it exits by itself
        as soon as its handler is imported (writing "ready" fails).
        """
        with self._lock:
            if self._pidfd is None:
                self._exited = True
            elif not self._exited:
                with contextlib.suppress(ProcessLookupError):
                    signal.pidfd_send_signal(self._pidfd, sig)


class ZygoteUnavailableError(RuntimeError):
    """Raised when the zygote cannot take a spawn order (it died or never started)."""


class Zygote:
    """The process that forks workers; started with the environment every function shares."""

    def __init__(self, env: dict[str, str], log_path: Path, preload: Sequence[str] = PRELOAD) -> None:
        self._socket, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-P", "-u", str(WORKER_MAIN), "--zygote", str(child.fileno())],
                env={**env, "LOCAL_PRELOAD": ",".join(preload)},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(child.fileno(),),
                start_new_session=True,
            )
        child.close()
        self._lock = threading.Lock()

    def spawn(self, env: dict[str, str], cwd: Path, python_path: Sequence[Path], fds: Sequence[int]) -> ForkedProcess:
        """Order a worker with this environment, directory and sys.path, wired to (request, response, log) fds."""
        order = {"env": env, "cwd": str(cwd), "python_path": [str(path) for path in python_path]}
        with self._lock:
            if self._process.poll() is not None:
                raise ZygoteUnavailableError(f"the zygote exited with {self._process.returncode}")
            try:
                socket.send_fds(self._socket, [json.dumps(order).encode()], list(fds))
            except OSError as error:
                raise ZygoteUnavailableError(str(error)) from error
        return ForkedProcess()

    def stop(self) -> None:
        """Close the control socket (the zygote exits on it) and make sure it is gone."""
        self._socket.close()
        try:
            self._process.wait(2)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
