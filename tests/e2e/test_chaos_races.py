"""Chaos inside the pipeline: conditional-write races and a worker killed in the middle of Finalize.

Several finalizers run at once on one analysis (the state machine's own and direct invokes), a webhook lands
just as its wait times out into a poll, and a Finalize worker process is SIGKILLed mid-invoke. Every conditional
write must let exactly one of them through, and the invariants of tests/e2e/invariants.py must hold after each.
"""

from __future__ import annotations

import json
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from skin_analysis_local.stack.records import function_log_dir
from tests.e2e.invariants import assert_invariants
from tests.e2e.pipeline import Pipeline, plain_jpeg
from tests.e2e.stack import invocations
from tests.helpers import wait_until

if TYPE_CHECKING:
    import boto3

pytestmark = [pytest.mark.chaos, pytest.mark.usefixtures("simulator_restored")]

FINALIZE = "FinalizeFunction"


@pytest.fixture(scope="module")
def pipeline(aws: boto3.Session, local_stack: dict[str, Any]) -> Pipeline:
    return Pipeline.observe(aws, local_stack)


def _task_finished(pipeline: Pipeline, task_id: str) -> bool:
    """The provider settled the task (its notification is planned at that moment, lost or not)."""
    return bool(pipeline.simulator.webhook_deliveries(task_id))


def test_concurrent_finalizers_store_and_announce_each_analysis_once(
    pipeline: Pipeline, aws: boto3.Session, local_stack: dict[str, Any], stack_outputs: dict[str, str]
) -> None:
    # Given two analyses whose provider tasks have just finished (their webhooks are on the way)
    ids = [pipeline.upload(plain_jpeg((960, 720))) for _ in range(2)]
    tasks = {analysis_id: pipeline.wait_for_task(analysis_id) for analysis_id in ids}
    wait_until(lambda: all(_task_finished(pipeline, task) for task in tasks.values()), 30, what="the tasks")
    # When three more finalizers per analysis run at once, racing the state machine's own
    lambda_client = aws.client("lambda", endpoint_url=local_stack["aws_endpoint"])
    [function_name] = [
        function["FunctionName"]
        for function in lambda_client.list_functions()["Functions"]
        if function["FunctionName"].endswith(f"-{FINALIZE}")
    ]

    def finalize(analysis_id: str) -> dict[str, Any]:
        answer = lambda_client.invoke(FunctionName=function_name, Payload=json.dumps({"analysis_id": analysis_id}))
        return {"error": answer.get("FunctionError"), **json.loads(answer["Payload"].read())}

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(finalize, ids * 3))
    # Then every finalizer answers SUCCEEDED, and exactly one stored and announced each analysis
    assert [answer.get("status") for answer in answers] == ["SUCCEEDED"] * 6, answers
    outcomes = assert_invariants(pipeline, ids, machine_arn=stack_outputs["StateMachineArn"])
    assert [outcome.status for outcome in outcomes.values()] == ["SUCCEEDED"] * 2


def test_webhooks_landing_as_the_wait_times_out_are_applied_once(
    pipeline: Pipeline, stack_outputs: dict[str, str]
) -> None:
    # Given notifications held back so they arrive around the end of the 2 s webhook grace (tasks take 1 s):
    # the webhook and the timed-out wait's status poll race on the same item
    for seconds in (0.7, 0.9, 1.1, 1.3):
        pipeline.simulator.delay_webhooks(seconds=seconds, times=1)
    ids = [pipeline.upload(plain_jpeg((960, 720))) for _ in range(4)]
    # Then each analysis ends once, whichever side won
    outcomes = assert_invariants(pipeline, ids, machine_arn=stack_outputs["StateMachineArn"])
    assert [outcome.status for outcome in outcomes.values()] == ["SUCCEEDED"] * 4


def _mid_invoke(log: Path) -> bool:
    """Whether a worker's log stream shows an invoke that started and has not reported yet."""
    lines = log.read_text(errors="replace").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("START RequestId")]
    reports = [i for i, line in enumerate(lines) if line.startswith("REPORT RequestId")]
    return bool(starts) and (not reports or starts[-1] > reports[-1])


def _busy_worker(state_dir: Path, logical_id: str) -> int | None:
    """The pid of a worker of the function that is in the middle of an invoke (its stdout is its log stream)."""
    log_dir = function_log_dir(state_dir, logical_id)
    for process in Path("/proc").glob("[0-9]*"):
        try:
            stdout = (process / "fd" / "1").readlink()
        except OSError:
            continue
        if stdout.parent == log_dir and _mid_invoke(stdout):
            return int(process.name)
    return None


def test_a_finalize_worker_killed_mid_invoke_is_retried_and_finalizes_once(
    pipeline: Pipeline, state_dir: Path, stack_outputs: dict[str, str]
) -> None:
    # Given every status read answers slowly, so Finalize is caught inside its result GET
    pipeline.simulator.slow_responses(routes=["task.status"], seconds=3, times=None)
    analysis_id = pipeline.upload(plain_jpeg((960, 720)))
    # When the Finalize worker is killed mid-invoke (as an out-of-memory kill or a crash would)
    pid = wait_until(lambda: _busy_worker(state_dir, FINALIZE), 60, interval=0.05, what="Finalize to start")
    os.kill(pid, signal.SIGKILL)
    pipeline.simulator.clear_faults()
    # Then the state machine runs Finalize again, which stores and announces the analysis once
    outcomes = assert_invariants(pipeline, [analysis_id], machine_arn=stack_outputs["StateMachineArn"])
    assert outcomes[analysis_id].status == "SUCCEEDED", outcomes[analysis_id].item.get("error_message")
    crashed = [
        record
        for record in invocations(state_dir, FINALIZE)
        if record["outcome"] == "crash" and (record["event"] or {}).get("analysis_id") == analysis_id
    ]
    assert len(crashed) == 1
