"""Generated parts of the README: `python -m skin_analysis_local.docs_gen troubleshooting [README]`.

The troubleshooting table is rendered from `ErrorCode` and `ENGINE_ERRORS` (skin_analysis/errors.py) and
written between the `<!-- troubleshooting:start -->` and `<!-- troubleshooting:end -->` markers, so the README
always says what the code says; tests/unit/test_troubleshooting_table.py fails when they disagree. Without the
markers, they are added at the end of the "Troubleshooting by error code" section (or of the file).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from skin_analysis.errors import ENGINE_ERRORS, ErrorCode, ErrorDescription, describe_error
from skin_analysis_local.template import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
START = "<!-- troubleshooting:start -->"
END = "<!-- troubleshooting:end -->"
SECTION_HEADING = "## Troubleshooting by error code"
_BLOCK = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)


def troubleshooting_table() -> str:
    """The Markdown table of every error code: ours first, then the provider's engine codes."""
    lines = [
        "| code | what happened | what to do | `replay` |",
        "|---|---|---|---|",
        *(_row(describe_error(code)) for code in ErrorCode),
        *(_row(description) for description in ENGINE_ERRORS.values()),
    ]
    intro = (
        "<!-- Generated from skin_analysis/errors.py by `python -m skin_analysis_local.docs_gen troubleshooting`;"
        " do not edit by hand. -->"
    )
    return "\n".join([intro, "", *lines])


def _row(description: ErrorDescription) -> str:
    replay = "yes" if description.retryable else "no"
    cells = (f"`{description.code}`", description.meaning, description.fix, replay)
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def render(readme: str) -> str:
    """`readme` with the table between the markers, adding the markers if they are missing."""
    block = f"{START}\n{troubleshooting_table()}\n{END}"
    if _BLOCK.search(readme):
        return _BLOCK.sub(lambda _: block, readme, count=1)
    heading = readme.find(SECTION_HEADING)
    if heading == -1:
        return f"{readme.rstrip()}\n\n{SECTION_HEADING}\n\n{block}\n"
    next_heading = readme.find("\n## ", heading + len(SECTION_HEADING))
    end = len(readme) if next_heading == -1 else next_heading
    section = readme[:end].rstrip()
    rest = readme[end:].lstrip("\n")
    return f"{section}\n\n{block}\n" + (f"\n{rest}" if rest else "")


def main(argv: list[str]) -> int:
    """Rewrite the README's generated table; exit 2 on unknown usage."""
    if not argv or argv[0] != "troubleshooting" or len(argv) > 2:  # noqa: PLR2004
        print("usage: python -m skin_analysis_local.docs_gen troubleshooting [README.md]", file=sys.stderr)
        return 2
    path = Path(argv[1]) if len(argv) == 2 else README  # noqa: PLR2004
    text = path.read_text(encoding="utf-8")
    updated = render(text)
    if updated != text:
        path.write_text(updated, encoding="utf-8")
        print(f"{path}: troubleshooting table updated")
    else:
        print(f"{path}: troubleshooting table already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
