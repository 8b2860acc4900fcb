"""Generated parts of the README: `python -m skin_analysis_local.docs_gen [NAME ...] [--readme PATH]`.

Each block is rendered from the code or the template it documents and written between its
`<!-- <name>:start -->` and `<!-- <name>:end -->` markers, so the README always says what the code says:
- `troubleshooting`: every error code, from `ErrorCode` and `ENGINE_ERRORS` (skin_analysis/errors.py);
- `configuration`: every template parameter (default, description, the environment variable or resource that
  carries it) and every other environment variable of the functions, from template.yaml.
tests/unit/test_readme_generated.py fails when a block is stale. Without its markers, a block is added at the
end of its section (or of the file).
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skin_analysis.errors import ENGINE_ERRORS, ErrorCode, ErrorDescription, describe_error
from skin_analysis_local.template import PROJECT_ROOT, load_template, references

if TYPE_CHECKING:
    from collections.abc import Callable

README = PROJECT_ROOT / "README.md"
_FUNCTION = "AWS::Serverless::Function"


@dataclass(frozen=True, slots=True)
class GeneratedBlock:
    """One generated table: its marker name, the README section it lives in, and how to render it."""

    name: str
    heading: str
    source: str
    body: Callable[[], str]

    @property
    def start(self) -> str:
        return f"<!-- {self.name}:start -->"

    @property
    def end(self) -> str:
        return f"<!-- {self.name}:end -->"

    def block(self) -> str:
        intro = (
            f"<!-- Generated from {self.source} by `python -m skin_analysis_local.docs_gen {self.name}`;"
            " do not edit by hand. -->"
        )
        return f"{self.start}\n{intro}\n\n{self.body()}\n{self.end}"

    def render(self, readme: str) -> str:
        """`readme` with this block's table between its markers, adding the markers if they are missing."""
        pattern = re.compile(re.escape(self.start) + r".*?" + re.escape(self.end), re.DOTALL)
        if pattern.search(readme):
            return pattern.sub(lambda _: self.block(), readme, count=1)
        heading = readme.find(self.heading)
        if heading == -1:
            return f"{readme.rstrip()}\n\n{self.heading}\n\n{self.block()}\n"
        next_heading = readme.find("\n## ", heading + len(self.heading))
        end = len(readme) if next_heading == -1 else next_heading
        section = readme[:end].rstrip()
        rest = readme[end:].lstrip("\n")
        return f"{section}\n\n{self.block()}\n" + (f"\n{rest}" if rest else "")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _row(*cells: str) -> str:
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def troubleshooting_table() -> str:
    """The Markdown table of every error code: ours first, then the provider's engine codes."""

    def row(description: ErrorDescription) -> str:
        replay = "yes" if description.retryable else "no"
        return _row(f"`{description.code}`", description.meaning, description.fix, replay)

    return "\n".join(
        [
            "| code | what happened | what to do | `replay` |",
            "|---|---|---|---|",
            *(row(describe_error(code)) for code in ErrorCode),
            *(row(description) for description in ENGINE_ERRORS.values()),
        ]
    )


def configuration_tables(template: dict[str, Any] | None = None) -> str:
    """Every parameter (default, carried by which variable or resource, what it does), then the other variables."""
    cfn = template if template is not None else load_template()
    resources: dict[str, Any] = cfn["Resources"]
    global_env: dict[str, Any] = cfn.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    functions = sorted(name for name, resource in resources.items() if resource["Type"] == _FUNCTION)

    # variable -> (its value in the template, the functions that get it)
    variables: dict[str, tuple[Any, set[str]]] = {
        name: (value, {"all functions"}) for name, value in global_env.items()
    }
    for function in functions:
        own = resources[function]["Properties"].get("Environment", {}).get("Variables", {})
        for name, value in own.items():
            variables.setdefault(name, (value, set()))[1].add(function.removesuffix("Function"))

    carried_by: dict[str, list[str]] = defaultdict(list)
    for name, (value, _) in variables.items():
        for ref in references(value):
            carried_by[ref].append(f"`{name}`")
    for resource_name, resource in resources.items():
        if resource["Type"] == _FUNCTION:
            properties = {k: v for k, v in resource["Properties"].items() if k != "Environment"}
        else:
            properties = resource.get("Properties", {})
        for ref in references(properties):
            carried_by[ref].append(resource_name)

    parameters: dict[str, Any] = cfn["Parameters"]
    lines = [
        "| parameter | default | carried by | what it does |",
        "|---|---|---|---|",
        *(
            _row(
                f"`{name}`",
                f"`{spec['Default']}`" if str(spec.get("Default", "")) else "(empty)",
                ", ".join(sorted(set(carried_by.get(name, [])))) or "-",
                spec.get("Description", ""),
            )
            for name, spec in parameters.items()
        ),
        "",
        "Environment variables that name the stack's own resources (set by the template, never by hand):",
        "",
        "| variable | value | functions |",
        "|---|---|---|",
        *(
            _row(f"`{name}`", _describe_value(value), ", ".join(sorted(users)))
            for name, (value, users) in sorted(variables.items())
            if not references(value) & set(parameters)
        ),
    ]
    return "\n".join(lines)


def _describe_value(value: Any) -> str:
    """The template's value in its short form (`!Ref X`, `!Sub '...'`, `!GetAtt X.Y`) or the literal."""
    if isinstance(value, dict) and len(value) == 1:
        [(function, argument)] = value.items()
        if function == "Ref":
            return f"`!Ref {argument}`"
        if function == "Fn::Sub":
            return f"`!Sub {argument if isinstance(argument, str) else argument[0]}`"
        if function == "Fn::GetAtt":
            return f"`!GetAtt {argument if isinstance(argument, str) else '.'.join(argument)}`"
    return f"`{value}`"


BLOCKS = (
    GeneratedBlock(
        "troubleshooting", "## Troubleshooting by error code", "skin_analysis/errors.py", troubleshooting_table
    ),
    GeneratedBlock("configuration", "## Configuration", "template.yaml", configuration_tables),
)


def render(readme: str, names: list[str] | None = None) -> str:
    """`readme` with the named blocks (default: all) regenerated."""
    for block in BLOCKS:
        if names is None or block.name in names:
            readme = block.render(readme)
    return readme


def main(argv: list[str]) -> int:
    """Rewrite the README's generated tables; exit 2 on unknown usage."""
    path = README
    if "--readme" in argv:
        at = argv.index("--readme")
        path, argv = Path(argv[at + 1]), argv[:at] + argv[at + 2 :]
    known = {block.name for block in BLOCKS}
    if not set(argv) <= known:
        print(f"usage: python -m skin_analysis_local.docs_gen [{'|'.join(sorted(known))} ...] [--readme PATH]")
        return 2
    text = path.read_text(encoding="utf-8")
    updated = render(text, argv or None)
    path.write_text(updated, encoding="utf-8")
    print(f"{path}: {'updated' if updated != text else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
