"""`skin-analysis report ID... --out DIR`: the demo's HTML report for any analyses, local or deployed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from skin_analysis_local.stack.statedir import DEFAULT_STATE_DIR
from skin_analysis_local.target import RegionOption, StackNameOption, StateDirOption, target_or_exit


def report_command(
    analysis_ids: Annotated[list[str], typer.Argument(help="Analysis ids (64 hex characters each).")],
    *,
    out: Annotated[Path, typer.Option("--out", help="Directory for index.html and its assets/.")] = Path("report"),
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    stack_name: StackNameOption = None,
    region: RegionOption = None,
) -> None:
    """Write a static HTML report (photo, masks, scores, failures) for the given analyses; exit 1 if one is unknown."""
    from skin_analysis_local.report.gather import gather  # noqa: PLC0415 - boto3 only when used
    from skin_analysis_local.report.render import write_report  # noqa: PLC0415

    target = target_or_exit(state_dir, stack_name, region)
    analyses = gather(target, analysis_ids)
    page = write_report(analyses, out, f"skin-analysis report: {target.description}")
    missing = [analysis.analysis_id for analysis in analyses if analysis.item is None]
    for analysis_id in missing:
        typer.echo(f"not found: {analysis_id}", err=True)
    typer.echo(str(page))
    if missing:
        raise typer.Exit(1)
