"""Warm workers: one process per function with its own environment, reused, replaced when it dies or times out."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import pytest

from skin_analysis_local.stack.records import InvocationLog, function_log_dir, read_records, request_log_lines
from skin_analysis_local.stack.specs import FunctionSpec
from skin_analysis_local.stack.workers import WorkerPool

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

HANDLER = """
import os, sys, time

INVOKES = []  # module state survives between invokes of a warm worker


def lambda_handler(event, context):
    INVOKES.append(event)
    print("handling", event.get("action"))
    action = event.get("action")
    if action == "fail":
        raise ValueError("asked to fail")
    if action == "crash":
        os._exit(3)
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "unserializable":
        return {"value": object()}
    return {
        "invokes": len(INVOKES),
        "pid": os.getpid(),
        "setting": os.environ.get("SETTING"),
        "leaked": os.environ.get("ONLY_IN_THE_PARENT"),
        "remaining_ms": context.get_remaining_time_in_millis(),
        "request_id": context.aws_request_id,
    }
"""


@pytest.fixture(params=["zygote", "spawned"])
def pool(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WorkerPool]:
    """The same behaviour whether workers are forked from the zygote or started as fresh interpreters."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(HANDLER)
    monkeypatch.setenv("ONLY_IN_THE_PARENT", "secret")
    spec = FunctionSpec(
        logical_id="ProbeFunction",
        name="stack-ProbeFunction",
        arn="arn:aws:lambda:us-east-1:123456789012:function:stack-ProbeFunction",
        handler="app.lambda_handler",
        code_dir=code,
        layer_dirs=(),
        environment={"SETTING": "from-the-template"},
        timeout=2,
        memory_size=128,
    )
    preload = ("json",) if request.param == "zygote" else None  # the real list would cost seconds per test
    pool = WorkerPool({"AWS_REGION": "us-east-1"}, tmp_path, InvocationLog(tmp_path), 2, preload=preload)
    pool.add(spec)
    pool.wait_warm()
    yield pool
    pool.stop()


def test_a_warm_worker_is_reused_with_the_functions_environment_only(pool: WorkerPool) -> None:
    first = pool.invoke("stack-ProbeFunction", {"action": "hello"}, "test")
    second = pool.invoke("arn:aws:lambda:us-east-1:123456789012:function:stack-ProbeFunction", {}, "test")
    assert not first.errored
    assert (first.payload["invokes"], second.payload["invokes"]) == (1, 2)
    assert first.payload["pid"] == second.payload["pid"]
    assert first.payload["setting"] == "from-the-template"
    assert first.payload["leaked"] is None
    assert 0 < first.payload["remaining_ms"] <= 2000
    assert first.payload["request_id"] == first.request_id


def test_a_handler_exception_is_lambdas_error_payload(pool: WorkerPool) -> None:
    result = pool.invoke("stack-ProbeFunction", {"action": "fail"}, "test")
    assert result.errored
    assert result.error_type == "ValueError"
    assert result.payload["errorMessage"] == "asked to fail"
    assert pool.invoke("stack-ProbeFunction", {}, "test").payload["invokes"] == 2


def test_an_unserializable_result_is_a_marshal_error(pool: WorkerPool) -> None:
    assert pool.invoke("stack-ProbeFunction", {"action": "unserializable"}, "test").error_type == "Runtime.MarshalError"


def test_a_worker_that_dies_is_replaced_on_the_next_invoke(pool: WorkerPool) -> None:
    before = pool.invoke("stack-ProbeFunction", {}, "test").payload["pid"]
    crashed = pool.invoke("stack-ProbeFunction", {"action": "crash"}, "test")
    assert crashed.error_type == "Runtime.ExitError"
    after = pool.invoke("stack-ProbeFunction", {}, "test")
    assert not after.errored
    assert after.payload["pid"] != before
    assert after.payload["invokes"] == 1


def test_a_timeout_kills_the_worker_and_reports_it(pool: WorkerPool) -> None:
    result = pool.invoke("stack-ProbeFunction", {"action": "sleep", "seconds": 5}, "test")
    assert result.error_type == "Sandbox.Timedout"
    assert "Task timed out after 2.00 seconds" in result.payload["errorMessage"]
    assert not pool.invoke("stack-ProbeFunction", {}, "test").errored


def test_every_invoke_is_recorded_with_its_log_lines(pool: WorkerPool, tmp_path: Path) -> None:
    result = pool.invoke("stack-ProbeFunction", {"action": "logged"}, "s3")
    (record,) = read_records(tmp_path, "ProbeFunction")
    assert (record["source"], record["outcome"], record["request_id"]) == ("s3", "success", result.request_id)
    assert record["event"] == {"action": "logged"}
    assert record["duration_ms"] >= record["handler_ms"]
    lines = request_log_lines(function_log_dir(tmp_path, "ProbeFunction") / f"{record['log_stream']}.log")
    assert "handling logged" in lines[result.request_id]
    assert lines[result.request_id][-1].startswith(f"REPORT RequestId: {result.request_id}")


def test_stopping_the_pool_ends_every_worker(pool: WorkerPool) -> None:
    pid = pool.invoke("stack-ProbeFunction", {}, "test").payload["pid"]
    pool.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert pool.invoke("stack-ProbeFunction", {}, "test").error_type == "Runtime.ExitError"


def test_records_are_json_lines(tmp_path: Path) -> None:
    log = InvocationLog(tmp_path)
    log.append({"function": "f", "logical_id": "F", "event": {"body": "x" * 100_000}})
    (stored,) = [json.loads(line) for line in log.path.read_text().splitlines()]
    assert stored["event"] is None
    assert stored["event_truncated"] is True
