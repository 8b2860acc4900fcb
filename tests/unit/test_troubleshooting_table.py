"""The README's troubleshooting table is generated from the error enum and must say what the code says."""

from __future__ import annotations

from skin_analysis.errors import ENGINE_ERRORS, ErrorCode
from skin_analysis_local.docs_gen import END, README, SECTION_HEADING, START, render, troubleshooting_table


def test_the_readme_table_matches_the_error_codes() -> None:
    # Given the README as committed
    readme = README.read_text(encoding="utf-8")

    # Then regenerating its table changes nothing
    assert START in readme, (
        "README has no troubleshooting markers: run python -m skin_analysis_local.docs_gen troubleshooting"
    )
    assert render(readme) == readme, (
        "README's troubleshooting table is out of date: run python -m skin_analysis_local.docs_gen troubleshooting"
    )


def test_every_code_has_one_row() -> None:
    table = troubleshooting_table()
    for code in [*ErrorCode, *ENGINE_ERRORS]:
        assert table.count(f"| `{code}` |") == 1, code


def test_a_stale_table_is_replaced_and_a_missing_one_added_to_its_section() -> None:
    # Given a README whose table is stale, and one with the section but no markers
    stale = f"# x\n\n{SECTION_HEADING}\n\nIntro.\n\n{START}\n| old |\n{END}\n\n## Next\n"
    unmarked = f"# x\n\n{SECTION_HEADING}\n\nIntro.\n\n## Next\n"

    # When each is rendered
    replaced, added = render(stale), render(unmarked)

    # Then both hold the current table inside the section, before the next heading, and rendering again is a no-op
    for text in (replaced, added):
        assert f"{START}\n{troubleshooting_table()}\n{END}" in text
        assert text.index(SECTION_HEADING) < text.index(START) < text.index("## Next")
        assert "| old |" not in text
        assert render(text) == text
