"""The invocation log: one JSON line per Lambda invoke, in the state dir, read by `skin-analysis local logs`."""

from __future__ import annotations

import json
import re
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

INVOCATIONS_FILE = "invocations.jsonl"
LOGS_DIR = "logs"
_REQUEST_MARKER = re.compile(r"(START|END|REPORT) RequestId: (\S+)")
_MAX_EVENT_CHARS = 64 * 1024  # keeps the log readable when an API body carries an image


class InvocationLog:
    """Appends invocation records; safe to call from the many threads that invoke functions."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / INVOCATIONS_FILE
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        """Write one record (the event is left out when it is too large to be useful in a log)."""
        line = json.dumps(record, default=str)
        if len(line) > _MAX_EVENT_CHARS:
            line = json.dumps({**record, "event": None, "event_truncated": True}, default=str)
        with self._lock, self.path.open("a", encoding="utf-8") as log:
            log.write(line + "\n")


def read_records(state_dir: Path, function: str | None = None) -> list[dict[str, Any]]:
    """The records of one function (logical id or physical name), or all of them."""
    path = state_dir / INVOCATIONS_FILE
    if not path.is_file():
        return []
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if function is None:
        return records
    return [record for record in records if function in (record["function"], record["logical_id"])]


def function_log_dir(state_dir: Path, logical_id: str) -> Path:
    """Where a function's workers write their stdout and stderr, one file per worker (log stream)."""
    return state_dir / LOGS_DIR / logical_id


def log_stream_path(log_dir: Path, log_stream: str) -> Path:
    """The file of one log stream."""
    return log_dir / f"{log_stream}.log"


def request_log_lines(path: Path) -> dict[str, list[str]]:
    """A worker's log lines grouped by request id (START to REPORT); lines outside an invoke go under "init"."""
    groups: dict[str, list[str]] = {}
    current = "init"
    if not path.is_file():
        return groups
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        marker = _REQUEST_MARKER.match(line)
        if marker and marker.group(1) == "START":
            current = marker.group(2)
            continue
        if marker and marker.group(1) == "END":
            continue
        groups.setdefault(current, []).append(line)
        if marker and marker.group(1) == "REPORT":
            current = "init"
    return groups
