"""A warm Lambda execution environment: imports one handler once, then runs invokes sent over a pipe.

Run as a script (`python -P worker_main.py REQUEST_FD RESPONSE_FD`) with PYTHONPATH = the function's code dir and
the layer, and the function's environment only; or forked from a zygote (`--zygote CONTROL_FD`) that has
already imported boto3, Powertools, pydantic and the like, which cuts a cold start from about 1.5 s to 0.3 s.
Standard library only: nothing of the project may leak in. Requests and responses are one JSON object per line
on their own pipes, so handler prints (which go to the function's log file) can never corrupt them.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
from typing import IO, Any


class LambdaContext:
    """The attributes of AWS's Python runtime context object that handlers and Powertools read."""

    def __init__(self, request_id: str, deadline_ms: int) -> None:
        name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = os.environ.get("LOCAL_FUNCTION_ARN", name)
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", f"/aws/lambda/{name}")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invoke's timeout."""
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(kind: str, error: BaseException) -> dict[str, Any]:
    return {
        "errorType": kind or type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


def _drop_editable_finders() -> None:
    # The venv installs the project in editable mode; its finder would let handler code import the local stack
    # or the unpackaged layer from src/, which Lambda never could.
    sys.meta_path[:] = [finder for finder in sys.meta_path if "__editable__" not in getattr(finder, "__module__", "")]


def _load_handler() -> tuple[Any, dict[str, Any] | None]:
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, function_name), None
    except Exception as error:  # any import failure is the function's init error, reported on every invoke
        traceback.print_exc()
        return None, _error("Runtime.ImportModuleError", error)


def _run(handler: Any, request: dict[str, Any]) -> dict[str, Any]:
    request_id = request["request_id"]
    context = LambdaContext(request_id, request["deadline_ms"])
    try:
        result = handler(request["event"], context)
    except Exception as error:  # Lambda turns any handler exception into an error payload
        traceback.print_exc()
        return {"request_id": request_id, "ok": False, "payload": _error("", error)}
    try:
        return {"request_id": request_id, "ok": True, "payload": json.loads(json.dumps(result))}
    except (TypeError, ValueError) as error:
        return {"request_id": request_id, "ok": False, "payload": _error("Runtime.MarshalError", error)}


def _send(channel: IO[bytes], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message).encode() + b"\n")
    channel.flush()


def serve(request_fd: int, response_fd: int) -> None:
    """Load the handler, report ready, then serve invokes until the request pipe closes."""
    requests = os.fdopen(request_fd, "rb")
    responses = os.fdopen(response_fd, "wb")
    started = time.perf_counter()
    handler, init_error = _load_handler()
    init_ms = round((time.perf_counter() - started) * 1000, 1)
    _send(responses, {"ready": True, "init_ms": init_ms, "pid": os.getpid()})
    for line in requests:
        request = json.loads(line)
        print(f"START RequestId: {request['request_id']} Version: $LATEST", flush=True)
        began = time.perf_counter()
        if init_error is not None:
            response = {"request_id": request["request_id"], "ok": False, "payload": init_error}
        else:
            response = _run(handler, request)
        duration = (time.perf_counter() - began) * 1000
        response["handler_ms"] = round(duration, 3)
        print(f"END RequestId: {request['request_id']}", flush=True)
        print(f"REPORT RequestId: {request['request_id']}\tDuration: {duration:.2f} ms", flush=True)
        _send(responses, response)


def zygote(control_fd: int) -> None:
    """Import the heavy third-party modules once, then fork one worker per request from `local up`.

    A request is a JSON spawn order with three descriptors (request pipe, response pipe, log file). The child
    replaces its whole environment, working directory and sys.path with the function's before importing the
    handler, so only already-imported third-party code is shared (copy-on-write), never a function's own.
    """
    control = socket.socket(fileno=control_fd)
    for name in filter(None, os.environ.get("LOCAL_PRELOAD", "").split(",")):
        try:
            importlib.import_module(name)
        except Exception:  # a module the venv lacks is imported by the worker itself, or fails there
            traceback.print_exc()
    if threading.active_count() > 1:
        print("warning: a preloaded module started a thread; forked workers will not have it", flush=True)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped at once; local up watches pidfds
    base_path = list(sys.path)
    while True:
        message, fds, _, _ = socket.recv_fds(control, 1 << 20, 3)
        if not message:
            return
        order = json.loads(message)
        if os.fork() == 0:
            control.close()
            try:
                _become_worker(order, fds, base_path)
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)


def _become_worker(order: dict[str, Any], fds: list[int], base_path: list[str]) -> None:
    request_fd, response_fd, log_fd = fds
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    os.chdir(order["cwd"])
    os.environ.clear()
    os.environ.update(order["env"])
    sys.path[:] = [*order["python_path"], *base_path]
    importlib.invalidate_caches()
    serve(request_fd, response_fd)


def main() -> None:
    """`worker_main.py REQUEST_FD RESPONSE_FD` serves one function; `--zygote CONTROL_FD` forks workers."""
    _drop_editable_finders()
    if sys.argv[1] == "--zygote":
        zygote(int(sys.argv[2]))
    else:
        serve(int(sys.argv[1]), int(sys.argv[2]))


if __name__ == "__main__":
    main()
