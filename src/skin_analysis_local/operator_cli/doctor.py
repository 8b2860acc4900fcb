"""`skin-analysis doctor`: check a stack from outside, one OK/WARN/FAIL line per finding, with its fix."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

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
    open_target,
    print_json,
)
from skin_analysis_local.operator_cli.doctor_checks import Doctor, Level, SelfTestSecret
from skin_analysis_local.stack.statedir import DEFAULT_STATE_DIR

if TYPE_CHECKING:
    from skin_analysis_local.target import StackTarget

WEBHOOK_SECRET_ENV = "SKIN_ANALYSIS_WEBHOOK_SECRET"  # noqa: S105  (a variable name, not a secret)
_STYLE = {Level.OK: "green", Level.WARN: "yellow", Level.FAIL: "red"}


def doctor_command(
    webhook_secret: Annotated[
        str | None,
        typer.Option(
            "--webhook-secret",
            envvar=WEBHOOK_SECRET_ENV,
            help="Sign the self-test with this whsec_ secret: the one the provider console shows. Default: the "
            "local simulator's secret, or on AWS the stack's own (which cannot reveal a mismatch).",
            show_default=False,
        ),
    ] = None,
    *,
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    stack_name: StackNameOption = None,
    use_aws: UseAwsOption = False,
    region: RegionOption = None,
    config_env: ConfigEnvOption = "default",
    as_json: JsonOption = False,
) -> None:
    """Check configuration, secrets, the provider key and credit, webhooks (a signed self-test), the limiter,
    the queues and the oldest unfinished analysis. Exit code 1 when any line is FAIL.
    """
    target = open_target(state_dir, stack_name, region, use_aws=use_aws, config_env=config_env)
    secret = _self_test_secret(target, webhook_secret)
    with bound_models(target):
        if as_json:
            findings = Doctor(target, secret, state_dir).run()
        else:
            with console.status(f"Checking {target.description}..."):
                findings = Doctor(target, secret, state_dir).run()
    if as_json:
        print_json([asdict(finding) for finding in findings])
    else:
        table = Table(title=f"doctor: {target.description}")
        for column in ("", "check", "finding", "fix"):
            table.add_column(column, overflow="fold")
        for finding in findings:
            style = _STYLE[finding.level]
            table.add_row(f"[{style}]{finding.level}[/]", finding.check, finding.detail, finding.fix)
        console.print(table)
    if any(finding.level is Level.FAIL for finding in findings):
        raise typer.Exit(1)


def _self_test_secret(target: StackTarget, given: str | None) -> SelfTestSecret | None:
    """The secret the provider signs with: given, else the local simulator's, else the stack's own on AWS."""
    if given:
        source = "--webhook-secret" if os.environ.get(WEBHOOK_SECRET_ENV) != given else WEBHOOK_SECRET_ENV
        return SelfTestSecret(given, source)
    if target.local_info:
        from skin_analysis_local.simulator.control import SimulatorControl  # noqa: PLC0415

        try:
            return SelfTestSecret(
                str(SimulatorControl(target.local_info["provider_url"]).webhooks()["secret"]),
                "the simulator's secret",
            )
        except OSError:
            return SelfTestSecret(str(target.local_info["webhook_secret"]), "local.json's webhook_secret")
    import json  # noqa: PLC0415

    arn = target.outputs["WebhookSecretArn"]
    try:
        document = json.loads(target.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])
    except Exception:
        return None
    current = document.get("current") if isinstance(document, dict) else None
    return SelfTestSecret(current, "the stack's own secret (pass --webhook-secret to compare)") if current else None
