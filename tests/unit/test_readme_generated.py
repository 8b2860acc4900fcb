"""The README's generated tables (error codes, configuration) must say what the code and the template say."""

from __future__ import annotations

import pytest

from skin_analysis.errors import ENGINE_ERRORS, ErrorCode
from skin_analysis_local.docs_gen import BLOCKS, README, configuration_tables, render, troubleshooting_table
from skin_analysis_local.template import load_template


@pytest.mark.parametrize("name", [block.name for block in BLOCKS])
def test_the_readme_block_is_up_to_date(name: str) -> None:
    # Given the README as committed
    readme = README.read_text(encoding="utf-8")

    # Then regenerating its block changes nothing
    assert f"<!-- {name}:start -->" in readme, f"no {name} markers: run python -m skin_analysis_local.docs_gen"
    assert render(readme, [name]) == readme, (
        f"README's {name} table is out of date: run python -m skin_analysis_local.docs_gen {name}"
    )


def test_every_code_has_one_row() -> None:
    table = troubleshooting_table()
    for code in [*ErrorCode, *ENGINE_ERRORS]:
        assert table.count(f"| `{code}` |") == 1, code


def test_every_parameter_and_every_function_variable_is_documented() -> None:
    template = load_template()
    tables = configuration_tables(template)
    for parameter in template["Parameters"]:
        assert tables.count(f"| `{parameter}` |") == 1, parameter
    variables = {
        name
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
        for name in resource["Properties"].get("Environment", {}).get("Variables", {})
    } | set(template["Globals"]["Function"]["Environment"]["Variables"])
    for variable in variables:
        assert f"`{variable}`" in tables, variable
    # A parameter read by a function names the variable that carries it
    assert "| `RateBudget` | `240` | `RATE_BUDGET`" in tables


def test_a_stale_block_is_replaced_and_a_missing_one_added_to_its_section() -> None:
    [block] = [b for b in BLOCKS if b.name == "troubleshooting"]
    # Given a README whose table is stale, and one with the section but no markers
    stale = f"# x\n\n{block.heading}\n\nIntro.\n\n{block.start}\n| old |\n{block.end}\n\n## Next\n"
    unmarked = f"# x\n\n{block.heading}\n\nIntro.\n\n## Next\n"

    # When each is rendered
    replaced, added = block.render(stale), block.render(unmarked)

    # Then both hold the current table inside the section, before the next heading, and rendering again is a no-op
    for text in (replaced, added):
        assert block.block() in text
        assert text.index(block.heading) < text.index(block.start) < text.index("## Next")
        assert "| old |" not in text
        assert block.render(text) == text
