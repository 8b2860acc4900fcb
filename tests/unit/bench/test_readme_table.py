"""The README's benchmark table: rewritten in place between its markers, the rest of the README untouched."""

from __future__ import annotations

from tests.bench.readme_table import END, START, render_table, with_table

README = "# Project\n\n## Testing\n\n`make test` runs every tier.\n\n## Troubleshooting\n\nCodes.\n"


def test_the_table_goes_after_the_testing_section_once_then_is_replaced_in_place() -> None:
    # Given a README without markers and a first run that measured only the cost section
    first = with_table(README, render_table({"calls_per_analysis": {"webhooks": 2.0, "polling": 2.3}}))
    # When a later run measured the latency too
    second = with_table(first, render_table({"webhook_latency_ms": {"p50": 120.4, "p99": 480.0}}))

    # Then the block sits at the end of the Testing section, once, and only it changed
    before, block_and_after = second.split(START)
    block, after = block_and_after.split(END)
    assert before == "# Project\n\n## Testing\n\n`make test` runs every tier.\n\n"
    assert after == "\n\n## Troubleshooting\n\nCodes.\n"
    assert "p50 120 ms, p99 480 ms" in block
    # And a section the last run has no figures for says so instead of keeping stale ones
    assert "2.0 / 2.3" not in block
    assert "| ≤ 2.1 / reported | not measured |" in block
