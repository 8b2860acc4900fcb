"""Makes moto's DynamoDB honour what our correctness rests on: a conditional write is atomic, a read is whole.

moto's server handles requests on threads and checks a ConditionExpression, then writes, with nothing in
between held: two racing conditional updates can both pass (seen as three winners of one terminal transition).
It also updates items in place, so a read running beside an update can return half of it (seen as a SUCCEEDED
item without its scores). DynamoDB serializes writes to an item and never returns a torn one, so every
write-path method of moto's backend, and every read request's handler (which copies the items out), runs under
one lock.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler

from skin_analysis_local.process_patch import once_per_process

_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
_READS = ("get_item", "batch_get_item", "query", "scan", "transact_get_items")
_lock = threading.RLock()


@once_per_process
def isolate_dynamodb_requests() -> None:
    """Patch moto's DynamoDB (once per process) so writes, with their conditions, and reads run one at a time."""
    for name in _WRITES:
        setattr(DynamoDBBackend, name, _serialized(getattr(DynamoDBBackend, name)))
    for name in _READS:
        setattr(DynamoHandler, name, _serialized(getattr(DynamoHandler, name)))


def _serialized(method: Any) -> Any:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(*args, **kwargs)

    return locked
