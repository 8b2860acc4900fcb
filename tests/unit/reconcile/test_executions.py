"""Which execution a sweep reads for an analysis, which of its states strand the analysis, and the call budget."""

from __future__ import annotations

import boto3
import pytest

from skin_analysis.models import Analysis, AnalysisStatus
from skin_analysis.reconcile.executions import BudgetSpent, ExecutionLookup, ExecutionState, execution_name

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:stack-analysis"


def test_the_latest_execution_is_named_by_the_id_until_a_replay_numbers_it() -> None:
    # Given an analysis never replayed and one replayed twice
    first = Analysis("a1", status=AnalysisStatus.SUBMITTED, quality="sd", dst_actions=["wrinkle"])
    replayed = Analysis("a2", status=AnalysisStatus.SUBMITTED, quality="sd", dst_actions=["wrinkle"], replays=2)
    # Then their latest executions are `a1` and `a2-r2` (the names replay gives)
    assert (execution_name(first), execution_name(replayed)) == ("a1", "a2-r2")


@pytest.mark.parametrize(
    ("state", "stopped"),
    [
        (ExecutionState.ABORTED, True),
        (ExecutionState.TIMED_OUT, True),
        (ExecutionState.FAILED, True),
        (ExecutionState.MISSING, True),
        (ExecutionState.RUNNING, False),
        (ExecutionState.SUCCEEDED, False),
        (ExecutionState.PENDING_REDRIVE, False),
    ],
)
def test_only_an_ended_or_missing_execution_strands_its_analysis(state: ExecutionState, stopped: bool) -> None:
    assert state.stopped is stopped


def test_a_spent_budget_makes_no_call() -> None:
    # Given a lookup with no calls left, on a client whose endpoint nothing listens on
    sfn = boto3.client("stepfunctions", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
    lookup = ExecutionLookup(sfn, MACHINE, budget=0)
    item = Analysis("a1", status=AnalysisStatus.SUBMITTED, quality="sd", dst_actions=["wrinkle"])
    # Then asking raises BudgetSpent at once instead of reaching Step Functions
    with pytest.raises(BudgetSpent):
        lookup.latest(item)
