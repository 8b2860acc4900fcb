"""What became of an analysis's latest execution, read with DescribeExecution under a per-sweep budget.

DescribeExecution draws on an account-wide token bucket (a burst of 50, refilled at 15 per second in most
regions) shared with the console and `skin-analysis replay`. A sweep spends at most `budget` calls, so a
backlog of thousands of quiet analyses cannot throttle the account: what is left unchecked waits for the next
sweep (every 5 minutes), oldest first.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

    from skin_analysis.models import Analysis

#: DescribeExecution calls one sweep may make.
DEFAULT_DESCRIBE_BUDGET: Final = 100


class ExecutionState(StrEnum):
    """The latest execution's status as Step Functions reports it, or MISSING when there is none."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"
    PENDING_REDRIVE = "PENDING_REDRIVE"
    MISSING = "MISSING"

    @property
    def stopped(self) -> bool:
        """Nothing will ever move the analysis again: its execution ended without ending it, or never ran."""
        return self in {ExecutionState.FAILED, ExecutionState.TIMED_OUT, ExecutionState.ABORTED, ExecutionState.MISSING}


def execution_name(item: Analysis) -> str:
    """The name of the analysis's latest execution: its id, or `<id>-r<n>` after its n-th replay."""
    return f"{item.analysis_id}-r{int(item.replays)}" if item.replays else item.analysis_id


class BudgetSpent(Exception):
    """This sweep has made all the DescribeExecution calls it may."""


class ExecutionLookup:
    """Reads executions of the analysis state machine, at most `budget` times."""

    def __init__(self, sfn: SFNClient, state_machine_arn: str, budget: int = DEFAULT_DESCRIBE_BUDGET) -> None:
        self._sfn = sfn
        self._prefix = state_machine_arn.replace(":stateMachine:", ":execution:", 1)
        self._left = budget

    def latest(self, item: Analysis) -> ExecutionState:
        """The state of the item's latest execution; raises BudgetSpent once the budget is used up."""
        if self._left <= 0:
            raise BudgetSpent
        self._left -= 1
        try:
            described = self._sfn.describe_execution(executionArn=f"{self._prefix}:{execution_name(item)}")
        except self._sfn.exceptions.ExecutionDoesNotExist:
            return ExecutionState.MISSING
        return ExecutionState(described["status"])
