"""`skin-analysis partner add|list|remove`: partner API keys on the local stack (default) or on AWS (--stack-name).

The work is `skin_analysis.partners.registry.PartnerRegistry` (an API Gateway key on the tier's usage plan, and
the Partners item mapping its id to the partner); this module only finds the stack: the running local stack's
state dir (local.json and outputs.json), or a deployed stack's CloudFormation outputs with default credentials.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from skin_analysis_local.stack.statedir import DEFAULT_STATE_DIR, OUTPUTS_JSON, read_local_json

if TYPE_CHECKING:
    from collections.abc import Iterator

    from skin_analysis.partners.registry import PartnerRecord, PartnerRegistry

partner_app = typer.Typer(
    name="partner",
    help="Partner API keys: add, list, remove. On the running local stack unless --stack-name names an AWS stack.",
    no_args_is_help=True,
)

# Credentials moto accepts; only ever used against the local stack's endpoint.
_LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
_PARTNERS_OUTPUT = "PartnersTableName"

StateDir = Annotated[Path, typer.Option("--state-dir", help="The local stack's state dir (ignored with --stack-name).")]
StackName = Annotated[
    str | None,
    typer.Option("--stack-name", help="A deployed stack's name: work on AWS with the default credentials."),
]
Region = Annotated[str | None, typer.Option("--region", help="The AWS stack's region (default: your AWS config).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


class TargetNotFound(Exception):
    """Raised when neither a running local stack nor the named AWS stack can be found."""


@dataclass(frozen=True)
class Target:
    """Where partners live: the Partners table, the usage plan of each tier, and how to reach them."""

    description: str
    partners_table: str
    usage_plans: dict[str, str]
    region: str | None
    endpoint_url: str | None = None
    environment: dict[str, str] = field(default_factory=dict)


def local_target(state_dir: Path) -> Target:
    """The local stack running from `state_dir` (its local.json and outputs.json)."""
    from skin_analysis.partners.registry import usage_plans_by_tier  # noqa: PLC0415

    info = read_local_json(state_dir)
    outputs_path = state_dir / OUTPUTS_JSON
    if info is None or not outputs_path.is_file():
        raise TargetNotFound(
            f"no local stack is running from {state_dir}: start `skin-analysis local up` (or pass --state-dir), "
            "or name an AWS stack with --stack-name"
        )
    outputs: dict[str, str] = json.loads(outputs_path.read_text())
    endpoint, region = info["aws_endpoint"], info["region"]
    return Target(
        description=f"local stack at {endpoint}",
        partners_table=outputs[_PARTNERS_OUTPUT],
        usage_plans=usage_plans_by_tier(outputs),
        region=region,
        endpoint_url=endpoint,
        environment={**_LOCAL_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": region},
    )


def aws_target(stack_name: str, region: str | None) -> Target:
    """A deployed stack, from its CloudFormation outputs."""
    import boto3  # noqa: PLC0415
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    from skin_analysis.partners.registry import usage_plans_by_tier  # noqa: PLC0415

    session = boto3.Session(region_name=region)
    try:
        [stack] = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    except (BotoCoreError, ClientError) as error:
        raise TargetNotFound(f"stack {stack_name} not found: {error}") from error
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    if _PARTNERS_OUTPUT not in outputs:
        raise TargetNotFound(f"stack {stack_name} has no {_PARTNERS_OUTPUT} output: is it this project's stack?")
    resolved_region = session.region_name
    return Target(
        description=f"stack {stack_name} in {resolved_region}",
        partners_table=outputs[_PARTNERS_OUTPUT],
        usage_plans=usage_plans_by_tier(outputs),
        region=resolved_region,
        environment={"AWS_DEFAULT_REGION": resolved_region} if resolved_region else {},
    )


@contextmanager
def open_registry(target: Target) -> Iterator[PartnerRegistry]:
    """The registry of `target`, with the Partners model bound to its table (and pynamodb to its endpoint)."""
    import boto3  # noqa: PLC0415

    from skin_analysis.models import bind_tables  # noqa: PLC0415
    from skin_analysis.partners.registry import PartnerRegistry  # noqa: PLC0415

    saved = {name: os.environ.get(name) for name in target.environment}
    # pynamodb takes its endpoint, region and credentials from the environment (it has no client to pass in).
    os.environ.update(target.environment)
    try:
        session = boto3.Session(region_name=target.region)
        apigateway = session.client("apigateway", endpoint_url=target.endpoint_url)
        bind_tables(partners=target.partners_table)
        yield PartnerRegistry(apigateway, target.usage_plans)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _target(state_dir: Path, stack_name: str | None, region: str | None) -> Target:
    try:
        return aws_target(stack_name, region) if stack_name else local_target(state_dir)
    except TargetNotFound as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error


def _record_json(record: PartnerRecord) -> dict[str, Any]:
    created = record.created_at.isoformat() if record.created_at else None
    return {
        "partner_id": record.partner_id,
        "tier": record.tier,
        "api_key_id": record.api_key_id,
        "created_at": created,
    }


@partner_app.command("add")
def add(
    partner_id: Annotated[str, typer.Argument(help="Lowercase letters, digits, '-' and '_' (it appears in S3 keys).")],
    tier: Annotated[str, typer.Option("--tier", help="Usage-plan tier declared by the stack (basic, pro).")],
    *,
    state_dir: StateDir = DEFAULT_STATE_DIR,
    stack_name: StackName = None,
    region: Region = None,
    as_json: AsJson = False,
) -> None:
    """Issue an API key for a partner on its tier's usage plan; the key is printed once."""
    from skin_analysis.partners.registry import PartnerAdminError  # noqa: PLC0415

    target = _target(state_dir, stack_name, region)
    with open_registry(target) as registry:
        try:
            issued = registry.add(partner_id, tier)
        except PartnerAdminError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from error
    if as_json:
        typer.echo(json.dumps({**_record_json(issued.record), "api_key": issued.api_key}))
        return
    typer.echo(f"partner {partner_id} added on tier {tier} ({target.description})")
    typer.echo(f"  api key id: {issued.record.api_key_id}")
    typer.echo(f"  api key:    {issued.api_key}")
    typer.echo("Give the key to the partner now (send it as x-api-key); it is not shown again.")


@partner_app.command("list")
def list_partners(
    *,
    state_dir: StateDir = DEFAULT_STATE_DIR,
    stack_name: StackName = None,
    region: Region = None,
    as_json: AsJson = False,
) -> None:
    """Every partner key: partner, tier, key id and when it was issued (never the key itself)."""
    target = _target(state_dir, stack_name, region)
    with open_registry(target) as registry:
        records = registry.partners()
    if as_json:
        typer.echo(json.dumps([_record_json(record) for record in records]))
        return
    if not records:
        typer.echo(f"no partners ({target.description})")
        return
    typer.echo(f"{'PARTNER':24} {'TIER':8} {'API KEY ID':14} CREATED")
    for record in records:
        created = record.created_at.strftime("%Y-%m-%d %H:%M:%S") if record.created_at else "-"
        typer.echo(f"{record.partner_id:24} {record.tier:8} {record.api_key_id:14} {created}")


@partner_app.command("remove")
def remove(
    partner_id: Annotated[str, typer.Argument(help="The partner whose keys are revoked.")],
    *,
    state_dir: StateDir = DEFAULT_STATE_DIR,
    stack_name: StackName = None,
    region: Region = None,
    as_json: AsJson = False,
) -> None:
    """Revoke every key of a partner; its analyses stay until erased or expired."""
    target = _target(state_dir, stack_name, region)
    with open_registry(target) as registry:
        removed = registry.remove(partner_id)
    if as_json:
        typer.echo(json.dumps([_record_json(record) for record in removed]))
    elif removed:
        typer.echo(f"partner {partner_id}: {len(removed)} key(s) revoked ({target.description})")
    if not removed:
        if not as_json:
            typer.echo(f"error: partner {partner_id} has no keys ({target.description})", err=True)
        raise typer.Exit(1)
