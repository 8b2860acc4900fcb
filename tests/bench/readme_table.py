"""Write the README's benchmark table from bench/results.json: `python -m tests.bench.readme_table`.

Only the text between `<!-- bench:start -->` and `<!-- bench:end -->` is rewritten; without the markers, the block
goes at the end of the README's Testing section. Each row says the bar (DESIGN §8), what the last run measured and
the command that measures it again; a section never run reads "not measured".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.bench.results import RESULTS_PATH

if TYPE_CHECKING:
    from collections.abc import Callable

README_PATH = RESULTS_PATH.parents[1] / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
SECTION_HEADING = "## Testing"
NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Row:
    """One line of the table: what is measured, its bar, the results section it reads and how to reproduce it."""

    what: str
    bar: str
    section: str
    bench: str
    measured: Callable[[dict[str, Any]], str]

    def cells(self, results: dict[str, Any]) -> tuple[str, ...]:
        figures = results.get(self.section)
        measured = self.measured(figures) if figures else NOT_MEASURED
        return self.what, self.bar, measured, f"`.venv/bin/python -m tests.bench.bench_{self.bench}`"


def _both_sides(figures: dict[str, Any]) -> str:
    return f"{figures['webhooks']} / {figures['polling']}"


def _burst(burst: dict[str, Any]) -> str:
    return (
        f"{burst['throughput_fraction']:.0%} of the budget; lost {burst['lost']}, charged twice "
        f"{burst['double_charged']}, failed by 429 {burst['failed_by_429']} ({burst['drain_s']:.0f} s drain)"
    )


def _latency(latency: dict[str, Any]) -> str:
    figures = f"p50 {latency['p50']:.0f} ms, p99 {latency['p99']:.0f} ms"
    loaded = latency.get("under_load")
    if loaded is None:
        return figures
    return (
        f"{figures} (a photo every {latency['spacing_s']:g} s); every {loaded['spacing_s']:g} s: "
        f"p50 {loaded['p50']:.0f} ms, p99 {loaded['p99']:.0f} ms"
    )


def _normalize(norm: dict[str, Any]) -> str:
    return (
        f"48 MP {norm['speedup_48mp']}x faster at {norm['peak_mb_ratio_48mp']:.2f}x the peak memory; "
        f"12 MP {norm['speedup_12mp']}x; pass-through {norm['passthrough_ms']} ms"
    )


def _limiter(limiter: dict[str, Any]) -> str:
    return (
        f"max {limiter['max_in_any_window']} in any window (budget {limiter['budget']}), "
        f"utilization {limiter['utilization']:.0%}"
    )


def _local_stack(stack: dict[str, Any]) -> str:
    return (
        f"boot {stack['boot_s_median']} s; warm invoke overhead {stack['overhead_ms_median_worker_pool']} ms "
        f"(worker pool), {stack['overhead_ms_median_rest_api']} ms (REST API)"
    )


ROWS = (
    Row(
        "provider calls per analysis, webhooks healthy / lost (20 analyses each)",
        "≤ 2.1 / reported",
        "calls_per_analysis",
        "cost",
        _both_sides,
    ),
    Row(
        "state transitions per analysis, webhooks healthy / lost",
        "≤ 8 / reported",
        "transitions_per_analysis",
        "cost",
        _both_sides,
    ),
    Row(
        "burst: 150 photos at a scaled real limit (25 req / 30 s, budget 24)",
        "≥ 90 % of the budget, 0 lost, 0 double-charged, 0 failed by 429",
        "burst",
        "burst",
        _burst,
    ),
    Row(
        "webhook → result stored and event emitted (local stack, warm)",
        "p50 < 250 ms, p99 < 1 s",
        "webhook_latency_ms",
        "latency",
        _latency,
    ),
    Row(
        "normalize phone JPEGs (orientation 6), fresh process each, vs naive Pillow",
        "48 MP ≥ 3x faster and ≤ ½ the peak memory; 12 MP no slower; pass-through < 20 ms",
        "normalize",
        "normalize",
        _normalize,
    ),
    Row(
        "rate limiter under saturation from 5 processes",
        "never above the budget in any window, ≥ 90 % used",
        "limiter",
        "limiter",
        _limiter,
    ),
    Row(
        "handler cold import (median, fresh process)",
        "measured per function, heavy imports lazy",
        "cold_import_ms",
        "cold_import",
        lambda cold: ", ".join(f"{name} {ms:.0f}" for name, ms in sorted(cold.items())) + " ms",
    ),
    Row(
        "local stack: boot to local.json, warm invoke overhead (medians)",
        "boot < 10 s, overhead < 20 ms",
        "local_stack",
        "local_stack",
        _local_stack,
    ),
)


def render_table(results: dict[str, Any]) -> str:
    """The Markdown block (markers excluded) for `results`."""
    lines = [
        "| what | bar | measured | reproduce |",
        "|---|---|---|---|",
        *(f"| {' | '.join(row.cells(results))} |" for row in ROWS),
        "",
        f"Measured {results.get('measured_at', 'never')} on {results.get('machine', 'an unknown machine')}; "
        "every section at once: `make bench` (writes `bench/results.json`; method in "
        "[docs/benchmarks.md](docs/benchmarks.md)).",
    ]
    return "\n".join(lines)


def with_table(readme: str, table: str) -> str:
    """`readme` with the text between the markers replaced by `table` (markers added if missing)."""
    block = f"{START}\n{table}\n{END}"
    if START in readme and END in readme:
        return re.sub(f"{re.escape(START)}.*?{re.escape(END)}", lambda _: block, readme, count=1, flags=re.DOTALL)
    heading = readme.find(f"\n{SECTION_HEADING}\n")
    if heading < 0:
        return f"{readme.rstrip()}\n\n{block}\n"
    next_heading = readme.find("\n## ", heading + 1)
    end = len(readme) if next_heading < 0 else next_heading
    return f"{readme[:end].rstrip()}\n\n{block}\n{readme[end:]}"


def main() -> None:
    """Rewrite the README's table from bench/results.json."""
    results = json.loads(RESULTS_PATH.read_text())
    README_PATH.write_text(with_table(README_PATH.read_text(), render_table(results)))


if __name__ == "__main__":
    main()
