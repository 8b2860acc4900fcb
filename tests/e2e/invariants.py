"""What must hold after any fault, checked from outside the stack: DynamoDB, S3, EventBridge and the simulator.

After a batch of uploads has run under faults, `assert_invariants` checks that every upload reached exactly one
terminal state that no longer changes, that the provider created exactly the tasks the faults explain, that no
object, task-index entry or item is left over, and that each analysis was announced by exactly one event.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

from tests.e2e.pipeline import Pipeline
from tests.e2e.stack import CLI
from tests.helpers import wait_until

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime
    from pathlib import Path

    from tests.e2e.stack import RunningStack

COMPLETED, FAILED = "Skin Analysis Completed", "Skin Analysis Failed"
_EVENT_FOR = {"SUCCEEDED": COMPLETED, "FAILED": FAILED}
# Long enough for a late duplicate (a second finalize, a webhook retry) to show up as a second event or a
# changed item; every one of our faults resolves in less.
SETTLE_SECONDS = 2.0
#: How long an ended analysis's execution and terminal events may lag its item on a loaded machine.
EVENT_TIMEOUT_SECONDS = 30.0
_EARLY_MARKER = "early#"


def observe(stack: RunningStack) -> Pipeline:
    """The pipeline of a stack started by a test module (the session's is observed through the `aws` fixture)."""
    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=stack.info["region"])
    return Pipeline.observe(session, stack.info)


def replay(state_dir: Path, since: datetime, *codes: str) -> dict[str, dict[str, Any]]:
    """Run `skin-analysis replay` on a stack as an operator would; its rows by analysis id."""
    command = [str(CLI), "replay", "--state-dir", str(state_dir), "--since", since.isoformat(), "--json"]
    command += [argument for code in codes for argument in ("--code", code)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return {row["analysis_id"]: row for row in json.loads(done.stdout)}


@dataclass(frozen=True)
class Outcome:
    """Where an analysis ended."""

    analysis_id: str
    item: dict[str, Any]

    @property
    def status(self) -> str:
        return str(self.item["status"]["S"])

    @property
    def error_code(self) -> str | None:
        return self.item["error_code"]["S"] if "error_code" in self.item else None

    @property
    def replays(self) -> int:
        return int(self.item["replays"]["N"]) if "replays" in self.item else 0

    @property
    def uncertain_submits(self) -> int:
        return int(self.item["uncertain_submits"]["N"]) if "uncertain_submits" in self.item else 0


def assert_invariants(
    pipeline: Pipeline,
    analysis_ids: Iterable[str],
    *,
    machine_arn: str,
    timeout: float = 90,
    tasks_per_uncertain_submit: int = 0,
) -> dict[str, Outcome]:
    """Wait for every analysis to end, then check the invariants; the outcomes by analysis id.

    `tasks_per_uncertain_submit`: how many provider tasks each counted uncertain submit made under the fault
    injected (1 when the create ran but its answer was lost or late; 0 when it never ran, e.g. a 5xx before
    processing). The provider must then hold exactly `uncertain_submits x that + (1 if a task was recorded)`
    tasks for the photo: no create is repeated that the faults do not explain.
    """
    ids = list(dict.fromkeys(analysis_ids))
    deadline = time.monotonic() + timeout
    ended = {analysis_id: pipeline.finished(analysis_id, max(1.0, deadline - time.monotonic())) for analysis_id in ids}
    time.sleep(SETTLE_SECONDS)
    outcomes = {analysis_id: Outcome(analysis_id, item) for analysis_id, item in ended.items()}
    _terminal_states_do_not_change(pipeline, outcomes)
    _executions_ended(pipeline, machine_arn, outcomes)
    _one_event_each(pipeline, outcomes)
    _tasks_explained(pipeline, outcomes, tasks_per_uncertain_submit)
    _no_orphans(pipeline, outcomes)
    _one_item_per_upload(pipeline, outcomes)
    return outcomes


def _terminal_states_do_not_change(pipeline: Pipeline, outcomes: dict[str, Outcome]) -> None:
    for analysis_id, outcome in outcomes.items():
        now = pipeline.item(analysis_id)
        assert now is not None, f"{analysis_id}: the item disappeared"
        for attribute in ("status", "error_code", "task_id", "scores", "mask_keys", "normalized_key"):
            assert now.get(attribute) == outcome.item.get(attribute), f"{analysis_id}: {attribute} changed after end"


def _executions_ended(pipeline: Pipeline, machine_arn: str, outcomes: dict[str, Outcome]) -> None:
    """The analysis's last execution ended cleanly (a recorded failure ends it SUCCEEDED too).

    `skin-analysis replay` names its executions `<analysis_id>-r<replays>`.
    """
    execution_prefix = machine_arn.replace(":stateMachine:", ":execution:")
    for analysis_id, outcome in outcomes.items():
        name = f"{analysis_id}-r{outcome.replays}" if outcome.replays else analysis_id
        arn = f"{execution_prefix}:{name}"
        try:
            pipeline.sfn.describe_execution(executionArn=arn)
        except pipeline.sfn.exceptions.ExecutionDoesNotExist:
            assert not outcome.replays, f"{analysis_id}: replayed, but no execution {name}"
            continue
        # The item's terminal write is the last state's work: its execution ends moments later (later under load).
        status = wait_until(_ended(pipeline, arn), EVENT_TIMEOUT_SECONDS, 0.2, f"execution {name} to end")
        assert status == "SUCCEEDED", f"{analysis_id}: execution {name} {status}"


def _ended(pipeline: Pipeline, execution_arn: str) -> Callable[[], str | None]:
    """A predicate: the execution's status once it is no longer RUNNING."""

    def status() -> str | None:
        current = str(pipeline.sfn.describe_execution(executionArn=execution_arn)["status"])
        return None if current == "RUNNING" else current

    return status


def _one_event_each(pipeline: Pipeline, outcomes: dict[str, Outcome]) -> None:
    # Each failure a replay reopened was announced too (docs/operations.md, replay's events)
    expected_kinds = {
        analysis_id: [FAILED] * outcome.replays + [_EVENT_FOR[outcome.status]]
        for analysis_id, outcome in outcomes.items()
    }
    # Delivery to the observer queue lags the PutEvents; wait for every expected event, then for stragglers.
    wait_until(
        lambda: all(len(pipeline.events_of(a, settle=0)) >= len(kinds) for a, kinds in expected_kinds.items()),
        EVENT_TIMEOUT_SECONDS,
        interval=0.25,
        what="every terminal event on the bus",
    )
    time.sleep(SETTLE_SECONDS)
    for analysis_id, outcome in outcomes.items():
        events = pipeline.events_of(analysis_id, settle=0)
        expected = expected_kinds[analysis_id]
        assert [event["detail-type"] for event in events] == expected, analysis_id
        if outcome.status == "FAILED":
            assert events[0]["detail"]["error"]["code"] == outcome.error_code, analysis_id


def _normalized_sha(pipeline: Pipeline, outcome: Outcome) -> str | None:
    if "normalized_key" not in outcome.item:
        return None
    body = pipeline.s3.get_object(Bucket=pipeline.info["results_bucket"], Key=outcome.item["normalized_key"]["S"])
    return hashlib.sha256(body["Body"].read()).hexdigest()


def _tasks_explained(pipeline: Pipeline, outcomes: dict[str, Outcome], per_uncertain: int) -> None:
    """Tasks per photo, counted by the simulator from the bytes it fetched (each test photo is unique)."""
    tasks = pipeline.simulator.tasks_by_source()
    for analysis_id, outcome in outcomes.items():
        sha = _normalized_sha(pipeline, outcome)
        expected = outcome.uncertain_submits * per_uncertain + ("task_id" in outcome.item)
        created = tasks.get(sha, 0) if sha else 0
        assert created == expected, f"{analysis_id}: {created} provider tasks, {expected} explained by the faults"


def _no_orphans(pipeline: Pipeline, outcomes: dict[str, Outcome]) -> None:
    """Objects under analyses/<id>/ are the item's own; the task index points only at recorded tasks."""
    bucket = pipeline.info["results_bucket"]
    indexed = _task_index(pipeline, set(outcomes))
    for analysis_id, outcome in outcomes.items():
        listed = pipeline.s3.list_objects_v2(Bucket=bucket, Prefix=f"analyses/{analysis_id}/").get("Contents", [])
        owned = {outcome.item["normalized_key"]["S"]} if "normalized_key" in outcome.item else set()
        if "mask_keys" in outcome.item:
            owned |= {value["S"] for value in outcome.item["mask_keys"]["M"].values()}
        assert {entry["Key"] for entry in listed} == owned, f"{analysis_id}: objects not referenced by the item"
        recorded = {outcome.item["task_id"]["S"]} if "task_id" in outcome.item else set()
        assert indexed.get(analysis_id, set()) == recorded, f"{analysis_id}: task index entries {indexed}"
        assert not recorded & indexed.get(_EARLY_MARKER, set()), f"{analysis_id}: its early webhook was never claimed"


def _task_index(pipeline: Pipeline, ids: set[str]) -> dict[str, set[str]]:
    table = pipeline.info["table"].replace("AnalysesTable", "TaskIndexTable")
    found: dict[str, set[str]] = {}
    for page in pipeline.dynamodb.get_paginator("scan").paginate(TableName=table):
        for entry in page["Items"]:
            # Early-webhook markers (`early#<task id>`) name no analysis; recorded tasks must have none left
            analysis_id = entry.get("analysis_id", {}).get("S", "")
            if analysis_id in ids:
                found.setdefault(analysis_id, set()).add(entry["task_id"]["S"])
            elif entry["task_id"]["S"].startswith(_EARLY_MARKER):
                found.setdefault(_EARLY_MARKER, set()).add(entry["task_id"]["S"].removeprefix(_EARLY_MARKER))
    return found


def _one_item_per_upload(pipeline: Pipeline, outcomes: dict[str, Outcome]) -> None:
    """No second item was made for an uploaded object (a redelivered S3 event, a retried ingest)."""
    keys = {outcome.item["source_key"]["S"] for outcome in outcomes.values() if "source_key" in outcome.item}
    items: dict[str, list[str]] = {}
    for page in pipeline.dynamodb.get_paginator("scan").paginate(TableName=pipeline.info["table"]):
        for item in page["Items"]:
            key = item.get("source_key", {}).get("S", "")
            if key in keys:
                items.setdefault(key, []).append(item["analysis_id"]["S"])
    duplicated = {key: ids for key, ids in items.items() if len(ids) != 1}
    assert not duplicated, f"uploads with more than one item: {duplicated}"
