"""`skin-analysis local up|logs`: run the whole stack on this machine, and read what its functions did."""

from __future__ import annotations

import json
import logging
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from skin_analysis_local.stack.statedir import DEFAULT_STATE_DIR

if TYPE_CHECKING:
    from types import FrameType

local_app = typer.Typer(
    name="local",
    help="The local stack: the real template, state machine and handlers on loopback, no AWS, no Docker.",
    no_args_is_help=True,
)

StateDir = Annotated[
    Path, typer.Option("--state-dir", help="Where local.json, the invocation records and the worker logs live.")
]


def _pairs(items: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise typer.BadParameter(f"{item!r} is not NAME=VALUE", param_hint=option)
        pairs[name] = value
    return pairs


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@local_app.command("up")
def up(
    *,
    state_dir: StateDir = DEFAULT_STATE_DIR,
    aws_port: Annotated[int, typer.Option(help="moto's port (the AWS endpoint); 0: any free port.")] = 4566,
    api_port: Annotated[int, typer.Option(help="The REST API's port; 0: any free port.")] = 3000,
    provider_port: Annotated[int, typer.Option(help="The provider simulator's port; 0: any free port.")] = 8089,
    param: Annotated[
        list[str], typer.Option("--param", help="Template parameter override NAME=VALUE (repeat for more).")
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    provider_set: Annotated[
        list[str], typer.Option("--provider-set", help="Simulator setting NAME=VALUE (see docs/simulator.md).")
    ] = [],  # noqa: B006
    config_env: Annotated[str, typer.Option(help="samconfig.toml environment for parameters.")] = "default",
    workers: Annotated[int, typer.Option(min=1, help="Most warm workers per function (its concurrency).")] = 4,
) -> None:
    """Start moto, the template's resources, the handlers, the API and the simulator; Ctrl-C stops it all."""
    # Imported here so `skin-analysis --help` does not pay for moto and the SAM translator.
    from skin_analysis_local.stack.parameters import ParameterError  # noqa: PLC0415
    from skin_analysis_local.stack.runtime import LocalStack, StackAlreadyRunningError, StackOptions  # noqa: PLC0415

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = StackOptions(
        state_dir=state_dir,
        aws_port=aws_port,
        api_port=api_port,
        provider_port=provider_port,
        config_env=config_env,
        parameter_overrides=_pairs(param, "--param"),
        provider_settings=_pairs(provider_set, "--provider-set"),
        workers_per_function=workers,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    stack = LocalStack(options)
    try:
        info = stack.start()
    except KeyboardInterrupt:
        typer.echo("stopped while starting", err=True)
        raise typer.Exit(130) from None
    except (StackAlreadyRunningError, ParameterError, ValueError, OSError) as error:
        typer.echo(f"local up failed: {error}", err=True)
        raise typer.Exit(1) from error
    _print_ready(info, stack.state_dir, stack.boot_seconds)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        typer.echo("stopping the local stack")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()


def _print_ready(info: dict[str, Any], state_dir: Path, boot_seconds: float) -> None:
    typer.echo(f"local stack ready in {boot_seconds:.1f} s; {state_dir / 'local.json'}")
    for key in ("aws_endpoint", "api_url", "webhook_url", "provider_url", "uploads_bucket", "events_queue_url"):
        typer.echo(f"  {key:17} {info[key]}")
    for partner_id, key in info["api_keys"].items():
        typer.echo(f"  x-api-key of {partner_id}: {key}")
    typer.echo("Ctrl-C stops everything.")


@local_app.command("logs")
def logs(
    function: Annotated[
        str | None, typer.Argument(help="Logical id (IngestFunction) or function name; all functions if left out.")
    ] = None,
    state_dir: StateDir = DEFAULT_STATE_DIR,
    as_json: Annotated[bool, typer.Option("--json", help="One invocation record per line, as stored.")] = False,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new invocations.")] = False,
) -> None:
    """Every invocation (function, trigger, duration, outcome) with the log lines its worker wrote."""
    from skin_analysis_local.stack.records import read_records  # noqa: PLC0415

    shown = 0
    while True:
        records = read_records(state_dir, function)
        new = records[shown:]
        if as_json:
            for record in new:
                typer.echo(json.dumps(record))
        else:
            _print_records(new, state_dir)
        shown = len(records)
        if not follow:
            return
        time.sleep(0.5)


def _print_records(records: list[dict[str, Any]], state_dir: Path) -> None:
    from skin_analysis_local.stack.records import function_log_dir, log_stream_path, request_log_lines  # noqa: PLC0415

    streams: dict[Path, dict[str, list[str]]] = {}  # each log file is read once per batch
    for record in records:
        error = f" {record['error_type']}" if record.get("error_type") else ""
        typer.echo(
            f"{record['time']} {record['logical_id']} <- {record['source']}: {record['outcome']}{error}"
            f" in {record['duration_ms']:.1f} ms (request {record['request_id']})"
        )
        if not record.get("log_stream"):
            continue
        path = log_stream_path(function_log_dir(state_dir, record["logical_id"]), record["log_stream"])
        if path not in streams:
            streams[path] = request_log_lines(path)
        for line in streams[path].get(record["request_id"], []):
            typer.echo(f"    {line}")
