"""The `skin-analysis` command: one Typer app, each command group in its own module."""

from __future__ import annotations

from importlib.metadata import version
from typing import Annotated

import typer

from skin_analysis_local.demo.command import demo_command
from skin_analysis_local.local_cli import local_app
from skin_analysis_local.operator_cli.doctor import doctor_command
from skin_analysis_local.operator_cli.replay import replay_command
from skin_analysis_local.operator_cli.status import status_command
from skin_analysis_local.operator_cli.submit import submit_command
from skin_analysis_local.partner_cli import partner_app
from skin_analysis_local.report.command import report_command
from skin_analysis_local.simulator.command import simulator_command

app = typer.Typer(
    name="skin-analysis",
    help="Run, operate and test the skin-analysis pipeline, on AWS or on the local stack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


app.command("simulator")(simulator_command)
app.command("demo")(demo_command)
app.command("report")(report_command)
app.command("submit")(submit_command)
app.command("status")(status_command)
app.command("replay")(replay_command)
app.command("doctor")(doctor_command)
app.add_typer(local_app, name="local")
app.add_typer(partner_app, name="partner")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"skin-analysis {version('skin-analysis-pipeline')}")
        raise typer.Exit


@app.callback()
def root(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Run, operate and test the skin-analysis pipeline, on AWS or on the local stack."""


def main() -> None:
    """Console-script entry point."""
    app()
