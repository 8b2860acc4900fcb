"""`skin-analysis replay`: re-drive FAILED analyses after an outage (the work is `skin_analysis.replay`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
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
from skin_analysis_local.stack.statedir import DEFAULT_STATE_DIR

if TYPE_CHECKING:
    from skin_analysis.replay import ReplayResult

_REPLAYABLE_STATUS = "FAILED"


def replay_command(
    status: Annotated[
        str, typer.Option("--status", help="Status to replay. Only FAILED: a SUCCEEDED analysis is never replayed.")
    ] = _REPLAYABLE_STATUS,
    codes: Annotated[
        list[str] | None,
        typer.Option(
            "--code",
            help="Replay only this error code (repeat, or comma-separate). Default: every retryable code.",
        ),
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option("--since", help="Only analyses that failed at or after this time (ISO 8601; UTC if naive)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be replayed; change nothing.")] = False,
    *,
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    stack_name: StackNameOption = None,
    use_aws: UseAwsOption = False,
    region: RegionOption = None,
    config_env: ConfigEnvOption = "default",
    as_json: JsonOption = False,
) -> None:
    """Re-drive FAILED analyses (retryable codes by default) through a new execution each, at most once at a time.

    An analysis whose provider task may have succeeded (it failed provider_unavailable or timeout while the
    task ran) resumes polling that task instead of creating a new one, so nothing is charged twice. Exit code
    1 when an execution could not be started.
    """
    from skin_analysis.replay import Replayer, ReplaySelection  # noqa: PLC0415

    if status.upper() != _REPLAYABLE_STATUS:
        fail(f"--status {status}: only FAILED analyses can be replayed (SUCCEEDED never is)", 2)
    selected = frozenset(code.strip() for value in codes or () for code in value.split(",") if code.strip())
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    target = open_target(state_dir, stack_name, region, use_aws=use_aws, config_env=config_env)
    replayer = Replayer(target.client("stepfunctions"), target.outputs["StateMachineArn"])
    selection = ReplaySelection(codes=selected or None, since=since)
    with bound_models(target):
        if as_json:
            results = list(replayer.replay_all(selection, dry_run=dry_run))
        else:
            with console.status("Replaying failed analyses..." if not dry_run else "Looking for failed analyses..."):
                results = list(replayer.replay_all(selection, dry_run=dry_run))
    if as_json:
        print_json([result_json(result) for result in results])
    else:
        _print_table(results, target.description, dry_run=dry_run)
    if any(result.outcome == "start_failed" for result in results):
        raise typer.Exit(1)


def result_json(result: ReplayResult) -> dict[str, Any]:
    """A ReplayResult as `--json` prints it."""
    return asdict(result)


def _print_table(results: list[ReplayResult], description: str, *, dry_run: bool) -> None:
    if not results:
        console.print(f"Nothing to replay ({description}).")
        return
    table = Table(title=f"{'Dry run: ' if dry_run else ''}replay on {description}")
    for column in ("analysis", "error code", "outcome", "execution", "detail"):
        table.add_column(column, overflow="fold")
    for result in results:
        table.add_row(
            result.analysis_id, result.error_code or "-", result.outcome, result.execution_name or "-", result.detail
        )
    console.print(table)
    redriven = sum(1 for result in results if result.outcome.redriven)
    console.print(f"{redriven} of {len(results)} re-driven.")
