"""Helpers shared by every tier: waiting on an SLA, free ports, loading a function as Lambda would, draining a queue."""

from __future__ import annotations

import importlib.util
import json
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

    from mypy_boto3_sqs import SQSClient

T = TypeVar("T")


class WaitTimedOut(AssertionError):
    """The predicate did not hold within its SLA."""


def wait_until[T](predicate: Callable[[], T | None], timeout: float, interval: float = 0.05, what: str = "") -> T:
    """Poll `predicate` until it returns something truthy and return it; the timeout is the SLA under test."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise WaitTimedOut(f"not within {timeout}s: {what or predicate!r} (last value {last!r})")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LambdaContextStandIn:
    """The attributes Powertools reads from the Lambda context object."""

    function_name: str = "function"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


def load_function(name: str) -> ModuleType:
    """Import `functions/<name>/app.py` as a fresh module, as Lambda does at a cold start.

    The caller sets the function's environment first; the module reads its settings while importing.
    """
    path = Path(__file__).resolve().parents[1] / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"{name}_app_{uuid.uuid4().hex[:8]}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def drain_queue(sqs: SQSClient, queue_url: str) -> list[dict[str, Any]]:
    """Every message body (JSON) on the queue right now, each deleted once read."""
    received: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
        "Messages", []
    ):
        for message in messages:
            received.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return received
