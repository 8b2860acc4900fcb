"""Makes moto's DynamoDB honour what our correctness rests on: a conditional write is atomic.

moto's server handles requests on threads and checks a ConditionExpression, then writes, with nothing in
between held: two racing conditional updates can both pass (seen as three winners of one terminal transition).
DynamoDB serializes writes to an item, so every write-path method of moto's backend is run under one lock.
Reads stay concurrent.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
_lock = threading.RLock()
_applied = False


def serialize_dynamodb_writes() -> None:
    """Patch moto's DynamoDB backend (once per process) so writes, with their conditions, run one at a time."""
    global _applied  # noqa: PLW0603 - a process-wide, idempotent patch
    with _lock:
        if _applied:
            return
        for name in _WRITES:
            setattr(DynamoDBBackend, name, _serialized(getattr(DynamoDBBackend, name)))
        _applied = True


def _serialized(method: Any) -> Any:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(*args, **kwargs)

    return locked
