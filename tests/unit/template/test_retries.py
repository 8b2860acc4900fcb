"""Every Lambda step of the state machine survives its worker dying mid-invoke (tests/e2e/test_chaos_races.py)."""

from __future__ import annotations

import json

import pytest

from skin_analysis_local.template import PROJECT_ROOT

_STATES = json.loads((PROJECT_ROOT / "statemachine" / "analysis.asl.json").read_text())["States"]
# What a dead worker looks like to Step Functions: AWS reports an out-of-memory kill or a timeout as Lambda.Unknown
# (or Sandbox.Timedout); the local stack reports a killed worker process as Runtime.ExitError.
_DEAD_WORKER = ("Lambda.Unknown", "Runtime.ExitError", "Sandbox.Timedout")


@pytest.mark.parametrize(
    "name", [name for name, state in _STATES.items() if state.get("Resource") == "arn:aws:states:::lambda:invoke"]
)
def test_a_lambda_step_retries_a_worker_that_died(name: str) -> None:
    # Given the step's retriers, in order
    retried = {error for retrier in _STATES[name].get("Retry", []) for error in retrier["ErrorEquals"]}
    # Then a dead worker is retried, by name or by the catch-all task failure, before any Catch sends it to failure
    for error in _DEAD_WORKER:
        assert error in retried or "States.TaskFailed" in retried or "States.ALL" in retried, (name, error)
