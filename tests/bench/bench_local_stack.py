"""Bench: the local stack's two bars, boot to local.json (< 10 s) and warm invoke overhead (< 20 ms median).

`python -m tests.bench.bench_local_stack` runs `skin_analysis_local.stack.measure` (fresh `local up` processes
in temp state dirs on free ports) and writes the `local_stack` section of bench/results.json. Timings live here,
not in the e2e tier, where a loaded CI machine would turn them into flakes.
"""

from __future__ import annotations

import statistics

from skin_analysis_local.stack.measure import measure
from tests.bench.results import load_average, record

BOOTS = 5
INVOKES = 50
BOOT_BAR_S = 10.0
OVERHEAD_BAR_MS = 20.0


def main() -> None:
    """Measure and record; exits non-zero when a bar is missed."""
    figures = measure(BOOTS, INVOKES)
    boot_median = statistics.median(figures["boot_to_local_json_s"])
    overhead = figures["warm_invoke_overhead_ms"]
    section = {
        "boot_s_median": round(boot_median, 2),
        "boot_s": figures["boot_to_local_json_s"],
        "overhead_ms_median_worker_pool": overhead["worker pool"]["median"],
        "overhead_ms_median_rest_api": overhead["REST API"]["median"],
        "overhead_ms_median_boto3_invoke": overhead["boto3 Invoke via moto"]["median"],
        "overhead_ms": overhead,
        "load_average": load_average(),
        "bars_met": boot_median < BOOT_BAR_S
        and overhead["worker pool"]["median"] < OVERHEAD_BAR_MS
        and overhead["REST API"]["median"] < OVERHEAD_BAR_MS,
    }
    record("local_stack", section)
    print(section)
    if not section["bars_met"]:
        raise SystemExit(f"local stack bars missed: boot < {BOOT_BAR_S} s, overhead < {OVERHEAD_BAR_MS} ms")


if __name__ == "__main__":
    main()
