"""What every operator command shares: finding the stack, binding the models to it, printing results."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from skin_analysis_local.stack.parameters import samconfig_setting
from skin_analysis_local.target import (
    RegionOption,
    StackNameOption,
    StackTarget,
    StateDirOption,
    TargetNotFound,
    resolve_target,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

SAMCONFIG = Path("samconfig.toml")

UseAwsOption = Annotated[
    bool, typer.Option("--aws", help="Work on the deployed stack named by samconfig.toml (stack_name, region).")
]
ConfigEnvOption = Annotated[str, typer.Option("--config-env", help="The samconfig.toml environment --aws reads.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts) instead of tables.")]

__all__ = ["RegionOption", "StackNameOption", "StateDirOption"]

console = Console()
errors = Console(stderr=True)


def open_target(
    state_dir: Path, stack_name: str | None, region: str | None, *, use_aws: bool = False, config_env: str = "default"
) -> StackTarget:
    """The stack a command works on; prints why and exits 1 when there is none."""
    if use_aws and not stack_name:
        stack_name = samconfig_setting(SAMCONFIG, "stack_name", config_env)
        if stack_name is None:
            fail(f"--aws: {SAMCONFIG} names no stack_name for {config_env!r}; pass --stack-name")
    try:
        return resolve_target(state_dir=state_dir, stack_name=stack_name, region=region, config_env=config_env)
    except TargetNotFound as error:
        fail(str(error))


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `message` as an error and exit with `code`."""
    errors.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def bound_models(target: StackTarget) -> Iterator[None]:
    """The layer's pynamodb models on `target`'s tables (and, locally, on moto) for the block."""
    from skin_analysis.models import bind_tables  # noqa: PLC0415

    with target.environment_applied():
        bind_tables(analyses=target.table)
        yield


def print_json(document: Any) -> None:
    """One JSON document on stdout (datetimes as ISO 8601)."""
    typer.echo(json.dumps(document, default=_json_default, indent=2))


def _json_default(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
