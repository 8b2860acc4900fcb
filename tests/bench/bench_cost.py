"""Bench: provider calls and state transitions per analysis, webhooks healthy and webhooks lost.

`python -m tests.bench.bench_cost` runs ANALYSES photos at once through a local stack of its own for each
configuration, both with the production waits (20 s webhook grace, polls from 5 s doubling to 60 s) and tasks of
5 ± 1 s: once with the simulator delivering every webhook, once with it losing every one (the poll fallback
finishes them). Calls are the simulator's count of every API call the stack made; transitions are the states each
execution entered (its Step Functions history). Both configurations run in the same invocation, one after the
other, so they see the same machine.
"""

from __future__ import annotations

import json
import statistics
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tests.bench.results import load_average, record
from tests.bench.stack import bench_stack, states_entered, total_calls, upload_photos, wait_all_finished

if TYPE_CHECKING:
    from tests.e2e.pipeline import Pipeline

ANALYSES = 20
FINISH_TIMEOUT_S = 300
SETTINGS = (*("--provider-set", "delay=5"), *("--provider-set", "delay_jitter=1"))
# DESIGN §8
BAR_CALLS_WITH_WEBHOOKS = 2.1
BAR_TRANSITIONS_WITH_WEBHOOKS = 8


def _seconds(item: dict[str, Any]) -> float:
    """Upload to terminal state, from the item's own timestamps."""
    created, updated = (datetime.fromisoformat(item[name]["S"]) for name in ("created_at", "updated_at"))
    return (updated - created).total_seconds()


def measure(pipeline: Pipeline, state_machine_arn: str) -> dict[str, Any]:
    """Run ANALYSES photos at once and count what they cost."""
    ids = upload_photos(pipeline, ANALYSES)
    items = wait_all_finished(pipeline, ids, FINISH_TIMEOUT_S)
    histories = [pipeline.execution_history(analysis_id, state_machine_arn) for analysis_id in ids]
    # The stack is the bench's own: every call the simulator counted was made for these analyses.
    calls = total_calls(pipeline.simulator.counters())
    return {
        "analyses": ANALYSES,
        "succeeded": sum(item["status"]["S"] == "SUCCEEDED" for item in items.values()),
        "calls_per_analysis": round(calls / ANALYSES, 3),
        "transitions_per_analysis": round(sum(states_entered(history) for history in histories) / ANALYSES, 2),
        "woken_by_webhook": sum(not any(event["type"] == "TaskTimedOut" for event in h) for h in histories),
        "median_s_to_result": round(statistics.median(_seconds(item) for item in items.values()), 1),
    }


def run(*, webhooks_lost: bool) -> dict[str, Any]:
    """One configuration on a fresh stack."""
    with bench_stack(*SETTINGS) as (stack, pipeline):
        if webhooks_lost:
            pipeline.simulator.lose_webhooks(times=None)
        return measure(pipeline, stack.outputs["StateMachineArn"])


def main() -> None:
    """Measure both configurations, print and record calls_per_analysis, transitions_per_analysis and cost."""
    load_before = load_average()
    healthy = run(webhooks_lost=False)
    lost = run(webhooks_lost=True)
    record("calls_per_analysis", {"webhooks": healthy["calls_per_analysis"], "polling": lost["calls_per_analysis"]})
    record(
        "transitions_per_analysis",
        {"webhooks": healthy["transitions_per_analysis"], "polling": lost["transitions_per_analysis"]},
    )
    figures = {
        "webhooks": healthy,
        "polling": lost,
        "load_avg_before": load_before,
        "load_avg_after": load_average(),
        "bars_met": healthy["calls_per_analysis"] <= BAR_CALLS_WITH_WEBHOOKS
        and healthy["transitions_per_analysis"] <= BAR_TRANSITIONS_WITH_WEBHOOKS
        and healthy["succeeded"] == lost["succeeded"] == ANALYSES,
    }
    print(json.dumps(figures, indent=2))
    record("cost", figures)
    if not figures["bars_met"]:
        raise SystemExit("cost bench missed a bar (calls ≤ 2.1, transitions ≤ 8 with webhooks, all succeeded)")


if __name__ == "__main__":
    main()
