"""Replay one failed analysis: reopen it with a conditional write, then start a new execution for it.

Only the replay whose reopen wins starts an execution, so two replays running at once never re-drive one
analysis twice. The execution is named `<analysis_id>-r<n>` (n: the item's `replays` count after the reopen),
since the first execution's name (the analysis id) stays taken, and runs with the first execution's input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from skin_analysis.models import AnalysisStatus, transition
from skin_analysis.models.transitions import ReopenLost, reopen
from skin_analysis.replay.plan import NotReplayable, ReplayMode, plan_replay
from skin_analysis.replay.selection import failed_analyses
from skin_analysis.settings import IngestSettings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_stepfunctions import SFNClient

    from skin_analysis.models import Analysis
    from skin_analysis.replay.selection import ReplaySelection

_DEFAULT_SUBMISSION_TIMEOUT = IngestSettings.model_fields["submission_timeout_seconds"].default


class ReplayOutcome(StrEnum):
    """What a replay did with one analysis."""

    WOULD_RESUME = "would_resume"
    WOULD_RESUBMIT = "would_resubmit"
    RESUMED = "resumed"
    RESUBMITTED = "resubmitted"
    SKIPPED = "skipped"
    TAKEN = "taken"
    START_FAILED = "start_failed"

    @property
    def redriven(self) -> bool:
        """True when a new execution now runs for the analysis."""
        return self in {ReplayOutcome.RESUMED, ReplayOutcome.RESUBMITTED}


_DONE = {ReplayMode.RESUME: ReplayOutcome.RESUMED, ReplayMode.RESUBMIT: ReplayOutcome.RESUBMITTED}
_WOULD = {ReplayMode.RESUME: ReplayOutcome.WOULD_RESUME, ReplayMode.RESUBMIT: ReplayOutcome.WOULD_RESUBMIT}


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """One analysis's replay: its failure, what was done and, when re-driven, the new execution."""

    analysis_id: str
    error_code: str | None
    outcome: ReplayOutcome
    detail: str
    task_id: str | None = None
    execution_name: str | None = None


class Replayer:
    """Re-drives FAILED analyses through the analysis state machine."""

    def __init__(self, sfn: SFNClient, state_machine_arn: str) -> None:
        self._sfn = sfn
        self._machine_arn = state_machine_arn

    def replay_all(self, selection: ReplaySelection, *, dry_run: bool = False) -> Iterator[ReplayResult]:
        """Replay every analysis `selection` matches, one at a time, oldest first."""
        for item in failed_analyses(selection):
            yield self.replay(item, dry_run=dry_run)

    def replay(self, item: Analysis, *, dry_run: bool = False) -> ReplayResult:
        """Replay one FAILED item as read; `dry_run` only says what would be done."""
        code = item.error_code
        try:
            plan = plan_replay(item)
        except NotReplayable as exc:
            return ReplayResult(item.analysis_id, code, ReplayOutcome.SKIPPED, str(exc))
        if dry_run:
            return ReplayResult(item.analysis_id, code, _WOULD[plan.mode], _describe(plan.mode, plan.task_id))
        execution_input = self._execution_input(item.analysis_id)
        try:
            reopened = reopen(item.analysis_id, plan.target, item, plan.attributes)
        except ReopenLost:
            return ReplayResult(
                item.analysis_id, code, ReplayOutcome.TAKEN, "it changed since it was read (another replay?)"
            )
        name = f"{item.analysis_id}-r{int(reopened.replays or 1)}"
        try:
            self._sfn.start_execution(stateMachineArn=self._machine_arn, name=name, input=execution_input)
        except (BotoCoreError, ClientError) as exc:
            _restore_failure(item)
            return ReplayResult(
                item.analysis_id, code, ReplayOutcome.START_FAILED, f"could not start {name}; still FAILED: {exc}"
            )
        return ReplayResult(
            item.analysis_id, code, _DONE[plan.mode], _describe(plan.mode, plan.task_id), plan.task_id, name
        )

    def _execution_input(self, analysis_id: str) -> str:
        """The first execution's input (its limits), or ingest's defaults when it is gone (90-day history)."""
        arn = f"{self._machine_arn.replace(':stateMachine:', ':execution:', 1)}:{analysis_id}"
        try:
            return self._sfn.describe_execution(executionArn=arn)["input"]
        except self._sfn.exceptions.ExecutionDoesNotExist:
            document: dict[str, Any] = {
                "analysis_id": analysis_id,
                "limits": {"submission_timeout_seconds": _DEFAULT_SUBMISSION_TIMEOUT},
            }
            return json.dumps(document, sort_keys=True)


def _describe(mode: ReplayMode, task_id: str | None) -> str:
    if mode is ReplayMode.RESUME:
        return f"resume provider task {task_id} (no new task, nothing charged again)"
    return "submit a new provider task"


def _restore_failure(seen: Analysis) -> None:
    """Put back the failure a reopen replaced, as it was (its event already went out)."""
    transition(
        seen.analysis_id,
        AnalysisStatus.FAILED,
        {
            "error_code": seen.error_code,
            "error_message": seen.error_message,
            "task_id": seen.task_id,
            "announced_at": seen.announced_at,
        },
    )
