"""Chaos the operator repairs: an execution stopped mid-run, failed by the reconciler, re-driven with `replay`.

A FAILED analysis re-driven by replay is in tests/e2e/test_chaos_provider.py (the fail policy's lost create).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.invariants import assert_invariants, replay
from tests.e2e.pipeline import Pipeline, plain_jpeg
from tests.helpers import wait_until

if TYPE_CHECKING:
    from pathlib import Path

    import boto3


pytestmark = [pytest.mark.chaos, pytest.mark.usefixtures("simulator_restored")]

RECONCILE = "ReconcileFunction"


@pytest.fixture(scope="module")
def pipeline(aws: boto3.Session, local_stack: dict[str, Any]) -> Pipeline:
    return Pipeline.observe(aws, local_stack)


def test_an_analysis_whose_execution_was_stopped_is_re_driven_by_replay(
    pipeline: Pipeline,
    aws: boto3.Session,
    local_stack: dict[str, Any],
    state_dir: Path,
    stack_outputs: dict[str, str],
) -> None:
    # Given an analysis whose execution an operator stopped while it waited for its provider task
    started = datetime.now(UTC)
    analysis_id = pipeline.upload(plain_jpeg((960, 720)))
    pipeline.wait_for_task(analysis_id)
    execution_arn = stack_outputs["StateMachineArn"].replace(":stateMachine:", ":execution:") + f":{analysis_id}"
    pipeline.sfn.stop_execution(executionArn=execution_arn, error="Operator.Stopped", cause="chaos test")
    wait_until(
        lambda: pipeline.sfn.describe_execution(executionArn=execution_arn)["status"] == "ABORTED", 10, what="stop"
    )
    # When the reconciler sweeps (the stack's stranded threshold is 10 s) and the operator replays what it failed
    failure = wait_until(lambda: _reconciled(aws, local_stack, pipeline, analysis_id), 30, 1.0, what="reconcile")
    rows = replay(state_dir, started, "execution_stopped")
    # Then the reconciler failed it with execution_stopped, and the replay resumed its provider task (no second
    # task bought) to SUCCEEDED, announced once for the failure and once for the success
    assert failure == "execution_stopped"
    assert rows[analysis_id]["outcome"] == "resumed", rows
    outcomes = assert_invariants(pipeline, [analysis_id], machine_arn=stack_outputs["StateMachineArn"])
    assert (outcomes[analysis_id].status, outcomes[analysis_id].replays) == ("SUCCEEDED", 1)


def _reconciled(aws: boto3.Session, local_stack: dict[str, Any], pipeline: Pipeline, analysis_id: str) -> str | None:
    """Invoke the Reconcile function as its schedule does; the analysis's error code once it is FAILED."""
    lambda_client = aws.client("lambda", endpoint_url=local_stack["aws_endpoint"])
    [function_name] = [
        function["FunctionName"]
        for function in lambda_client.list_functions()["Functions"]
        if function["FunctionName"].endswith(f"-{RECONCILE}")
    ]
    answer = lambda_client.invoke(FunctionName=function_name, Payload=json.dumps({}))
    assert "FunctionError" not in answer, answer["Payload"].read()
    item = pipeline.item(analysis_id)
    if item is None or item["status"]["S"] != "FAILED":
        return None
    return str(item["error_code"]["S"])
