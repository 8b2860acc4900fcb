"""Bench: a burst of photos against a scaled real rate limit, drained by the real pipeline on the local stack.

`python -m tests.bench.bench_burst` starts a local stack whose provider simulator enforces 25 requests per 30 s
(the real 250 per 300 s, scaled by ten so the bench takes minutes, not an hour) and whose limiter budget is 24
per 30 s with a read reserve of 4 (the production 240 and 40, scaled alike). It uploads 150 photos at once and
waits for every analysis to end. No fake clock: the figures come from the simulator's own record of when each
call arrived, its 429 count and its tasks per photo, and from the items.

throughput_fraction = calls after the first window / (budget x windows of drain time after the first):
the first window starts with an empty limiter and takes a whole budget at once, so it is left out.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from skin_analysis.errors import ErrorCode
from skin_analysis.ratelimit import max_in_any_window
from skin_analysis_local.stack.records import function_log_dir, read_records
from tests.bench.results import load_average, record
from tests.bench.stack import bench_stack, upload_photos, wait_all_finished

if TYPE_CHECKING:
    from pathlib import Path

PHOTOS = 150
PROVIDER_LIMIT = 25
WINDOW_S = 30
BUDGET = 24
READ_RESERVE = 4
DRAIN_TIMEOUT_S = 20 * 60
SETTINGS = (
    *("--param", f"RateBudget={BUDGET}"),
    *("--param", f"RateWindowSeconds={WINDOW_S}"),
    *("--param", f"RateReadReserve={READ_RESERVE}"),
    *("--provider-set", f"rate_limit={PROVIDER_LIMIT}"),
    *("--provider-set", f"rate_window={WINDOW_S}"),
)
# DESIGN §8
BAR_THROUGHPUT = 0.9


def throughput_fraction(call_times: list[float], budget: int, window_s: float) -> float:
    """Calls made after the first window ÷ what the budget allowed from then until the last call."""
    first, last = min(call_times), max(call_times)
    steady_from = first + window_s
    steady = sum(steady_from <= t for t in call_times)
    return steady / (budget * (last - steady_from) / window_s)


def calls_per_window(call_times: list[float], window_s: float) -> list[int]:
    """Calls in each consecutive window from the first call: where the drain used less than its budget."""
    first = min(call_times)
    counts = [0] * (int((max(call_times) - first) // window_s) + 1)
    for t in call_times:
        counts[int((t - first) // window_s)] += 1
    return counts


def calls_per_window_by_route(call_times: list[float], routes: list[str], window_s: float) -> dict[str, list[int]]:
    """`calls_per_window` split by route: how creates and reads shared each window."""
    first = min(call_times)
    size = int((max(call_times) - first) // window_s) + 1
    split: dict[str, list[int]] = {}
    for t, route in zip(call_times, routes, strict=True):
        split.setdefault(route, [0] * size)[int((t - first) // window_s)] += 1
    return split


def invoke_errors(state_dir: Path) -> dict[str, int]:
    """Failed invokes per `function.errorType` (a step the state machine retried), from the invocation log."""
    errors = Counter(
        f"{record_['logical_id']}.{record_['error_type']}"
        for record_ in read_records(state_dir)
        if record_["outcome"] != "success" and record_["logical_id"] != "ReconcileFunction"  # not built yet
    )
    return dict(errors)


def deferred_submissions(state_dir: Path) -> int:
    """Submissions the submitter put back on the queue for lack of a create permit, from its log."""
    logs = function_log_dir(state_dir, "SubmitterFunction")
    return sum(path.read_text(errors="replace").count("submission deferred") for path in logs.glob("*.log"))


def failed_by_rate_limit(item: dict[str, Any]) -> bool:
    """A FAILED item whose provider retries ran out (what a 429 storm would end in) or that names a 429."""
    if item["status"]["S"] != "FAILED":
        return False
    message = item.get("error_message", {}).get("S", "")
    return item.get("error_code", {}).get("S") == ErrorCode.PROVIDER_UNAVAILABLE or "429" in message


def main() -> None:
    """Run the burst, print and record the `burst` section."""
    load_before = load_average()
    with bench_stack(*SETTINGS) as (stack, pipeline):
        started = time.time()
        ids = upload_photos(pipeline, PHOTOS)
        uploaded_s = time.time() - started
        items = wait_all_finished(pipeline, ids, DRAIN_TIMEOUT_S)
        counters = pipeline.simulator.counters()
        errors, deferred = invoke_errors(stack.state_dir), deferred_submissions(stack.state_dir)
    arrivals = sorted(zip((float(t) for t in counters["call_times"]), counters["call_routes"], strict=True))
    call_times = [t for t, _ in arrivals]
    statuses = [item["status"]["S"] for item in items.values()]
    figures = {
        "photos": PHOTOS,
        "provider_limit": PROVIDER_LIMIT,
        "budget": BUDGET,
        "read_reserve": READ_RESERVE,
        "window_s": WINDOW_S,
        "calls": len(call_times),
        "calls_per_photo": round(len(call_times) / PHOTOS, 3),
        "drain_s": round(call_times[-1] - call_times[0], 1),
        "upload_s": round(uploaded_s, 1),
        "throughput_fraction": round(throughput_fraction(call_times, BUDGET, WINDOW_S), 3),
        "throughput_fraction_of_provider_limit": round(throughput_fraction(call_times, PROVIDER_LIMIT, WINDOW_S), 3),
        "max_calls_in_any_window": max_in_any_window(call_times, WINDOW_S),
        "calls_per_window": calls_per_window(call_times, WINDOW_S),
        "calls_per_window_by_route": calls_per_window_by_route(call_times, [r for _, r in arrivals], WINDOW_S),
        "calls_by_route": {route: sum(keys.values()) for route, keys in counters["calls"].items()},
        "succeeded": statuses.count("SUCCEEDED"),
        "failed": statuses.count("FAILED"),
        "lost": PHOTOS - len(items),
        # The stack is the bench's own: every task the simulator made is one of these photos'.
        "double_charged": sum(tasks > 1 for tasks in counters["tasks_by_source"].values()),
        "failed_by_429": sum(failed_by_rate_limit(item) for item in items.values()),
        "provider_429s": sum(counters["rate_limited"].values()),
        "invoke_errors": errors,
        "submissions_deferred": deferred,
        "load_avg_before": load_before,
        "load_avg_after": load_average(),
    }
    figures["bars_met"] = (
        figures["throughput_fraction"] >= BAR_THROUGHPUT
        and figures["lost"] == figures["double_charged"] == figures["failed_by_429"] == 0
    )
    print(json.dumps(figures, indent=2))
    record("burst", figures)
    if not figures["bars_met"]:
        raise SystemExit("burst bench missed a bar (throughput ≥ 0.9, 0 lost, 0 charged twice, 0 failed by 429)")


if __name__ == "__main__":
    main()
