"""`skin-analysis demo`: start the local stack, analyse the sample portraits, print and write the results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def demo_command(
    *,
    out: Annotated[Path, typer.Option("--out", help="Where the HTML report goes (index.html and assets/).")] = Path(
        "demo-report"
    ),
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every analysis to finish.")] = 90.0,
) -> None:
    """Run the pipeline on generated portraits on a throwaway local stack; exit 1 if an outcome is unexpected."""
    from rich.console import Console  # noqa: PLC0415 - `skin-analysis --help` stays fast

    from skin_analysis_local.demo.run import run_demo  # noqa: PLC0415

    raise typer.Exit(run_demo(out, timeout, Console()))
