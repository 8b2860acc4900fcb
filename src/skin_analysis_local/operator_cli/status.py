"""`skin-analysis status ID`: one analysis, and what its error means and how to fix it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.panel import Panel
from rich.table import Table

from skin_analysis_local.operator_cli.common import (
    ConfigEnvOption,
    JsonOption,
    RegionOption,
    StackNameOption,
    StateDirOption,
    UseAwsOption,
    bound_models,
    console,
    fail,
    open_target,
    print_json,
)
from skin_analysis_local.operator_cli.views import item_summary
from skin_analysis_local.stack.statedir import DEFAULT_STATE_DIR

if TYPE_CHECKING:
    from skin_analysis_local.target import StackTarget


def status_command(
    analysis_id: Annotated[str, typer.Argument(help="The analysis id (`submit` prints it).")],
    *,
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    stack_name: StackNameOption = None,
    use_aws: UseAwsOption = False,
    region: RegionOption = None,
    config_env: ConfigEnvOption = "default",
    as_json: JsonOption = False,
) -> None:
    """Show an analysis: status, options, task, scores, and for a failure its code, meaning and fix.

    Exit code 1 when there is no such analysis.
    """
    target = open_target(state_dir, stack_name, region, use_aws=use_aws, config_env=config_env)
    summary = read_summary(target, analysis_id)
    if summary is None:
        fail(f"no analysis {analysis_id} ({target.description})")
    if as_json:
        print_json(summary)
        return
    print_summary(summary)


def read_summary(target: StackTarget, analysis_id: str) -> dict[str, Any] | None:
    """The item's summary, read with strong consistency; None when there is no such analysis."""
    from skin_analysis.models import Analysis  # noqa: PLC0415

    with bound_models(target):
        try:
            item = Analysis.get(analysis_id, consistent_read=True)
        except Analysis.DoesNotExist:
            return None
    return item_summary(item)


_STYLE = {"SUCCEEDED": "green", "FAILED": "red"}


def print_summary(summary: dict[str, Any]) -> None:
    """The summary as a table, and a failure's meaning and fix in a panel below it."""
    status = summary["status"]
    table = Table(show_header=False, title=f"analysis {summary['analysis_id']}")
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    table.add_row("status", f"[{_STYLE.get(status, 'yellow')}]{status}[/]")
    for key, value in summary.items():
        if key in {"analysis_id", "status", "error"} or value in (None, [], ""):
            continue
        table.add_row(key.replace("_", " "), ", ".join(map(str, value)) if isinstance(value, list) else str(value))
    console.print(table)
    error = summary.get("error")
    if error:
        body = (
            f"[bold]{error['code']}[/bold]: {error['meaning']}\n"
            f"[dim]{error['message'] or ''}[/dim]\n"
            f"[bold]fix:[/bold] {error['fix']}"
        )
        if error["retryable"]:
            body += f"\n[bold]then:[/bold] skin-analysis replay --code {error['code']}"
        console.print(Panel(body, title="error", border_style="red"))
