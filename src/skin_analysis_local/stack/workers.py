"""Warm workers: one long-lived process per function (more only up to its concurrency), reused across invokes.

Each worker runs `worker_main.py` with the function's own environment and PYTHONPATH = code dir + layer, like a
Lambda execution environment. A worker that times out is killed and one that dies is replaced on the next invoke.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from skin_analysis_local.stack.processes import (
    PRELOAD,
    WORKER_MAIN,
    SpawnedProcess,
    WorkerProcess,
    Zygote,
    ZygoteUnavailableError,
)
from skin_analysis_local.stack.records import LOGS_DIR, function_log_dir, log_stream_path

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from skin_analysis_local.stack.records import InvocationLog
    from skin_analysis_local.stack.specs import FunctionSpec

_INIT_TIMEOUT_SECONDS = 10.0  # Lambda's init phase limit
_BOOT_INIT_TIMEOUT_SECONDS = 30.0  # at boot every function starts at once on a small machine

logger = logging.getLogger(__name__)


class WorkerCrashedError(RuntimeError):
    """Raised when a worker exits (or never becomes ready) instead of answering."""


@dataclass(frozen=True)
class InvokeResult:
    """What an invoke returned: the handler's result, or Lambda's error document when `errored`."""

    payload: Any
    errored: bool
    request_id: str
    duration_ms: float

    @property
    def error_type(self) -> str | None:
        """The error document's errorType (what Step Functions matches Retry and Catch on)."""
        if not self.errored or not isinstance(self.payload, dict):
            return None
        return str(self.payload.get("errorType"))


class _LineReader:
    """Reads newline-terminated messages from a pipe with a deadline."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = b""

    def readline(self, timeout: float) -> bytes | None:
        """One line, b"" at end of file, None when `timeout` passes first."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._fd], [], [], remaining)[0]:
                return None
            chunk = os.read(self._fd, 65536)
            if not chunk:
                return b""
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line


class _Worker:
    """One execution environment: a worker process and its request/response pipes."""

    def __init__(
        self, spec: FunctionSpec, env: dict[str, str], log_dir: Path, log_stream: str, zygote: Zygote | None
    ) -> None:
        self.function_name = spec.name
        self.log_stream = log_stream
        request_read, self._request_write = os.pipe()
        self._response_read, response_write = os.pipe()
        try:
            with log_stream_path(log_dir, log_stream).open("ab") as log:
                env = {**env, "AWS_LAMBDA_LOG_STREAM_NAME": log_stream}
                self.process = _start(spec, env, (request_read, response_write, log.fileno()), zygote)
        finally:
            os.close(request_read)
            os.close(response_write)
        self._responses = _LineReader(self._response_read)
        self.ready = False
        self.pid: int | None = None
        self._ready_lock = threading.Lock()
        self._stop_lock = threading.Lock()
        self._closed = False

    def wait_ready(self, timeout: float = _INIT_TIMEOUT_SECONDS, *, give_up: bool = True) -> bool:
        """Block until the handler module is imported (the cold start); safe to call from several threads.

        Past `timeout` the worker is stopped and WorkerCrashedError raised, as Lambda ends a slow init; with
        `give_up=False` it is left importing and False is returned.
        """
        with self._ready_lock:
            if self.ready:
                return True
            line = self._responses.readline(timeout)
            if line is None and not give_up:
                return False
            if not line:
                self.stop()
                raise WorkerCrashedError(f"worker did not become ready ({'timeout' if line is None else 'exited'})")
            self.pid = int(json.loads(line)["pid"])
            self.process.attach(self.pid)
            self.ready = True
            return True

    def invoke(self, event: Any, request_id: str, timeout: float) -> dict[str, Any] | None:
        """The worker's response, or None if it ran out of time (the worker is then killed)."""
        deadline_ms = int((time.time() + timeout) * 1000)
        request = json.dumps({"request_id": request_id, "event": event, "deadline_ms": deadline_ms})
        try:
            os.write(self._request_write, request.encode() + b"\n")
            line = self._responses.readline(timeout)
        except (OSError, ValueError):  # the pipe broke, or the stack closed it while stopping
            raise WorkerCrashedError(self._exit_message()) from None
        if line is None:
            self.stop()
            return None
        if not line:
            raise WorkerCrashedError(self._exit_message())
        response: dict[str, Any] = json.loads(line)
        return response

    def _exit_message(self) -> str:
        code = self.process.wait(5)
        if code is None:
            return "Runtime exited without a response"
        return f"Runtime exited with error: exit status {code}" if code >= 0 else "Runtime exited with error"

    @property
    def alive(self) -> bool:
        """Whether the process still runs (a forked worker that has not reported its pid counts as running)."""
        return self.process.poll() is None

    def terminate(self) -> None:
        """Ask the process to exit (SIGTERM) without waiting."""
        self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """Terminate the process (kill it if it lingers) and close the pipes; safe from several threads."""
        with self._stop_lock:
            if self._closed:
                return
            self._closed = True
        self.process.send_signal(signal.SIGTERM)
        if self.process.wait(2) is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(2)
        for fd in (self._request_write, self._response_read):
            with contextlib.suppress(OSError):
                os.close(fd)


def _start(spec: FunctionSpec, env: dict[str, str], fds: tuple[int, int, int], zygote: Zygote | None) -> WorkerProcess:
    """Fork the worker from the zygote, or start a fresh interpreter if there is none (or it died)."""
    if zygote is not None:
        try:
            return zygote.spawn(env, spec.code_dir, (spec.code_dir, *spec.layer_dirs), fds)
        except ZygoteUnavailableError as error:
            logger.warning("starting %s without the zygote: %s", spec.name, error)
    request_read, response_write, log = fds
    process = subprocess.Popen(
        [sys.executable, "-P", "-u", str(WORKER_MAIN), str(request_read), str(response_write)],
        env=env,
        cwd=spec.code_dir,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        pass_fds=(request_read, response_write),
        # Own session: a terminal's Ctrl-C reaches `local up`, which then stops workers in order.
        start_new_session=True,
    )
    return SpawnedProcess(process)


class FunctionRuntime:
    """The workers of one function: warm ones are reused; new ones start only up to `max_workers`."""

    def __init__(
        self, spec: FunctionSpec, env: dict[str, str], log_dir: Path, max_workers: int, zygote: Zygote | None
    ) -> None:
        self.spec = spec
        self._env = env
        self._zygote = zygote
        self._log_dir = log_dir
        self._streams = itertools.count(1)
        self._max_workers = max_workers
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._busy = 0
        self._condition = threading.Condition()
        self._stopped = False

    def spawn_idle(self) -> _Worker:
        """Start one worker and keep it for the next invoke (boot warms every function this way)."""
        with self._condition:
            worker = self._new_worker()
            self._idle.append(worker)
        return worker

    def _new_worker(self) -> _Worker:
        # One log stream per execution environment, as in CloudWatch: concurrent invokes never interleave.
        stream = f"{datetime.now(UTC):%Y-%m-%d}-{next(self._streams)}"
        worker = _Worker(self.spec, self._env, self._log_dir, stream, self._zygote)
        self._workers.add(worker)
        return worker

    def acquire(self) -> _Worker:
        """A ready worker for exclusive use; waits while every allowed worker is busy."""
        with self._condition:
            while True:
                if self._stopped:
                    raise WorkerCrashedError("the local stack is stopping")
                while self._idle and not self._idle[-1].alive:
                    dead = self._idle.pop()
                    self._workers.discard(dead)
                    dead.stop()
                if self._idle:
                    worker = self._idle.pop()
                    break
                if self._busy < self._max_workers:
                    worker = self._new_worker()
                    break
                self._condition.wait()
            self._busy += 1
        try:
            worker.wait_ready()
        except WorkerCrashedError:
            self.release(worker)
            raise
        return worker

    def release(self, worker: _Worker) -> None:
        """Give the worker back (a dead one is dropped; the next invoke starts a fresh one)."""
        with self._condition:
            self._busy -= 1
            if worker.alive and not self._stopped:
                self._idle.append(worker)
            else:
                self._workers.discard(worker)
                worker.stop()
            self._condition.notify()

    def shut_down(self) -> list[_Worker]:
        """Refuse new invokes, send every worker (busy ones too) SIGTERM and return them to be reaped."""
        with self._condition:
            self._stopped = True
            self._idle = []
            workers, self._workers = list(self._workers), set()
            self._condition.notify_all()
        for worker in workers:
            worker.terminate()
        return workers


class WorkerPool:
    """Routes invokes by function name or ARN to its warm workers and records every one."""

    def __init__(
        self,
        aws_env: dict[str, str],
        state_dir: Path,
        log: InvocationLog,
        max_workers_per_function: int,
        *,
        preload: Sequence[str] | None = PRELOAD,
    ) -> None:
        """`preload`: modules a zygote imports once for every worker; None starts each worker from scratch."""
        self._aws_env = aws_env
        self._zygote: Zygote | None = None
        if preload is not None:
            (state_dir / LOGS_DIR).mkdir(parents=True, exist_ok=True)
            self._zygote = Zygote({**_runtime_env(), **aws_env}, state_dir / LOGS_DIR / "zygote.log", preload)
        self._state_dir = state_dir
        self._log = log
        self._max_workers = max_workers_per_function
        self._runtimes: dict[str, FunctionRuntime] = {}
        self._warming: list[_Worker] = []
        self._stopping = False

    def add(self, spec: FunctionSpec) -> None:
        """Take on a function and start its first worker now, so its cold start overlaps the rest of the boot."""
        log_dir = function_log_dir(self._state_dir, spec.logical_id)
        log_dir.mkdir(parents=True, exist_ok=True)
        env = _worker_env(spec, self._aws_env)
        runtime = FunctionRuntime(spec, env, log_dir, self._max_workers, self._zygote)
        self._runtimes[spec.name] = self._runtimes[spec.arn] = runtime
        self._warming.append(runtime.spawn_idle())

    def wait_warm(self, timeout: float = _BOOT_INIT_TIMEOUT_SECONDS) -> None:
        """Wait up to `timeout` for every first worker to import its handler; slower ones keep importing.

        A worker that dies first is only logged: the function's next invoke starts a fresh one.
        """
        deadline = time.monotonic() + timeout
        for worker in self._warming:
            try:
                if not worker.wait_ready(max(0.0, deadline - time.monotonic()), give_up=False):
                    logger.info("%s is still importing its handler", worker.function_name)
            except WorkerCrashedError as error:
                if not self._stopping:
                    logger.warning("a worker of %s did not start: %s", worker.function_name, error)
        self._warming.clear()

    def spec(self, name_or_arn: str) -> FunctionSpec:
        """The function's spec."""
        return self._runtimes[name_or_arn].spec

    def knows(self, name_or_arn: str) -> bool:
        """Whether the function is part of the local stack."""
        return name_or_arn in self._runtimes

    def invoke(self, name_or_arn: str, event: Any, source: str) -> InvokeResult:
        """Run one invoke on a warm worker, synchronously, and record it."""
        runtime = self._runtimes[name_or_arn]
        request_id = str(uuid.uuid4())
        started = time.perf_counter()
        response: dict[str, Any] | None
        log_stream = worker_pid = None
        try:
            worker = runtime.acquire()
        except WorkerCrashedError as error:
            response = _crash(error)
        else:
            log_stream, worker_pid = worker.log_stream, worker.pid
            try:
                response = worker.invoke(event, request_id, runtime.spec.timeout)
            except WorkerCrashedError as error:
                response = _crash(error)
            finally:
                runtime.release(worker)
        duration_ms = (time.perf_counter() - started) * 1000
        if response is None:
            response = _timeout(request_id, runtime.spec.timeout)
        result = InvokeResult(response["payload"], not response["ok"], request_id, duration_ms)
        self._record(runtime.spec, event, source, result, response, log_stream=log_stream, worker_pid=worker_pid)
        return result

    def _record(
        self,
        spec: FunctionSpec,
        event: Any,
        source: str,
        result: InvokeResult,
        response: dict[str, Any],
        *,
        log_stream: str | None,
        worker_pid: int | None,
    ) -> None:
        outcome = response.get("outcome") or ("error" if result.errored else "success")
        self._log.append(
            {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "function": spec.name,
                "logical_id": spec.logical_id,
                "source": source,
                "request_id": result.request_id,
                "duration_ms": round(result.duration_ms, 2),
                "handler_ms": response.get("handler_ms"),
                "outcome": outcome,
                "error_type": result.error_type,
                "log_stream": log_stream,
                "worker_pid": worker_pid,
                "event": event,
                "response": result.payload,
            }
        )

    def stop(self) -> None:
        """Stop every worker of every function: all are signalled first, then each is reaped."""
        self._stopping = True
        runtimes = {id(runtime): runtime for runtime in self._runtimes.values()}.values()
        workers = [worker for runtime in runtimes for worker in runtime.shut_down()]
        for worker in workers:
            worker.stop()
        if self._zygote is not None:
            self._zygote.stop()


def _crash(error: WorkerCrashedError) -> dict[str, Any]:
    payload = {"errorType": "Runtime.ExitError", "errorMessage": str(error)}
    return {"ok": False, "payload": payload, "outcome": "crash"}


def _timeout(request_id: str, seconds: int) -> dict[str, Any]:
    message = f"RequestId: {request_id} Error: Task timed out after {seconds:.2f} seconds"
    return {"ok": False, "payload": {"errorType": "Sandbox.Timedout", "errorMessage": message}, "outcome": "timeout"}


def _worker_env(spec: FunctionSpec, aws_env: dict[str, str]) -> dict[str, str]:
    """The function's environment plus what the Lambda runtime sets; nothing leaks in from `local up`'s own."""
    python_path = os.pathsep.join(str(path) for path in (spec.code_dir, *spec.layer_dirs))
    return {
        **spec.environment,
        **aws_env,
        **_runtime_env(),
        "PYTHONPATH": python_path,
        "_HANDLER": spec.handler,
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "LOCAL_FUNCTION_ARN": spec.arn,
    }


def _runtime_env() -> dict[str, str]:
    """What every execution environment has, whichever the function."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "TZ": ":UTC"}
