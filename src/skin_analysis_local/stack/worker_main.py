"""A warm Lambda execution environment: imports one handler once, then runs invokes sent over a pipe.

Run as a script (`python -P worker_main.py REQUEST_FD RESPONSE_FD`) with PYTHONPATH = the function's code dir and
the layer, and the function's environment only. Standard library only: nothing of the project may leak in.
Requests and responses are one JSON object per line on their own pipes, so handler prints (which go to the
function's log file) can never corrupt them.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
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


def main() -> None:
    """Load the handler, report ready, then serve invokes until the request pipe closes."""
    requests = os.fdopen(int(sys.argv[1]), "rb")
    responses = os.fdopen(int(sys.argv[2]), "wb")
    _drop_editable_finders()
    started = time.perf_counter()
    handler, init_error = _load_handler()
    _send(responses, {"ready": True, "init_ms": round((time.perf_counter() - started) * 1000, 1)})
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


if __name__ == "__main__":
    main()
