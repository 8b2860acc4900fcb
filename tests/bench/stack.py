"""What the pipeline benches share: a local stack of their own, seen from outside, and the figures they read from it.

Each bench section that runs analyses starts `skin-analysis local up` in a temp state dir (tests/e2e/stack.py)
with the settings it measures, observes the bus with a queue of its own (tests/e2e/pipeline.py) and stops the
stack when done. Counts come from the provider simulator's counters and the Step Functions execution histories.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from tests.e2e.pipeline import TERMINAL, Pipeline, plain_jpeg
from tests.e2e.stack import RunningStack, StackFailedToStartError, start_local_stack

if TYPE_CHECKING:
    from collections.abc import Iterator

PHOTO_SIZE = (960, 720)  # compliant: passes ingest untouched, so the benches measure the pipeline, not Pillow
UPLOAD_THREADS = 4
START_ATTEMPTS = 3


@contextmanager
def bench_stack(*settings: str) -> Iterator[tuple[RunningStack, Pipeline]]:
    """A local stack started with `settings` (`--param`/`--provider-set` flags) and a Pipeline observing it."""
    with tempfile.TemporaryDirectory(prefix="bench-stack-") as state_dir:
        stack = _start(Path(state_dir), settings)
        try:
            session = boto3.Session(
                aws_access_key_id="local", aws_secret_access_key="local", region_name=stack.info["region"]
            )
            yield stack, Pipeline.observe(session, stack.info)
        finally:
            stack.stop()


def _start(state_dir: Path, settings: tuple[str, ...]) -> RunningStack:
    # A free port can be taken by another process between its choice and `local up` binding it (other stacks run
    # on this machine): pick new ports and try again.
    attempts_left = START_ATTEMPTS
    while True:
        try:
            return start_local_stack(state_dir, *settings)
        except StackFailedToStartError as error:
            attempts_left -= 1
            if "in use" not in str(error) or not attempts_left:
                raise


def upload_photos(pipeline: Pipeline, count: int) -> list[str]:
    """Upload `count` distinct compliant photos at once; their analysis ids."""
    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        return list(pool.map(lambda _: pipeline.upload(plain_jpeg(PHOTO_SIZE)), range(count)))


def wait_all_finished(pipeline: Pipeline, ids: list[str], timeout: float) -> dict[str, dict[str, Any]]:
    """The terminal items among `ids`, waiting up to `timeout` s for all of them (a missing id was lost)."""
    finished: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while len(finished) < len(ids) and time.monotonic() < deadline:
        for analysis_id in ids:
            if analysis_id not in finished:
                item = pipeline.item(analysis_id)
                if item and item["status"]["S"] in TERMINAL:
                    finished[analysis_id] = item
        time.sleep(1.0)
    return finished


def total_calls(counters: dict[str, Any]) -> int:
    """Every provider API call the simulator counted (all routes, all keys)."""
    return sum(sum(per_key.values()) for per_key in counters["calls"].values())


def states_entered(history: list[dict[str, Any]]) -> int:
    """State transitions in one execution history: the states it entered."""
    return sum(event["type"].endswith("StateEntered") for event in history)
