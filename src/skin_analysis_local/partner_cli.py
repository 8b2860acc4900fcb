"""`skin-analysis partner add|list|remove`: partner API keys on the local stack (default) or on AWS (--stack-name).

The work is `skin_analysis.partners.registry.PartnerRegistry` (an API Gateway key on the tier's usage plan, and
the Partners item mapping its id to the partner); the stack is found by `skin_analysis_local.target`.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from skin_analysis_local.stack.statedir import DEFAULT_STATE_DIR
from skin_analysis_local.target import RegionOption, StackNameOption, StackTarget, StateDirOption, target_or_exit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from skin_analysis.partners.registry import PartnerRecord, PartnerRegistry

partner_app = typer.Typer(
    name="partner",
    help="Partner API keys: add, list, remove. On the running local stack unless --stack-name names an AWS stack.",
    no_args_is_help=True,
)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@contextmanager
def open_registry(target: StackTarget) -> Iterator[PartnerRegistry]:
    """The registry of `target`, with the Partners model bound to its table (and pynamodb to its endpoint)."""
    from skin_analysis.models import bind_tables  # noqa: PLC0415
    from skin_analysis.partners.registry import PartnerRegistry, usage_plans_by_tier  # noqa: PLC0415

    with target.environment_applied():
        bind_tables(partners=target.outputs["PartnersTableName"])
        yield PartnerRegistry(target.client("apigateway"), usage_plans_by_tier(target.outputs))


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
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    stack_name: StackNameOption = None,
    region: RegionOption = None,
    as_json: AsJson = False,
) -> None:
    """Issue an API key for a partner on its tier's usage plan; the key is printed once."""
    from skin_analysis.partners.registry import PartnerAdminError  # noqa: PLC0415

    target = target_or_exit(state_dir, stack_name, region)
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
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    stack_name: StackNameOption = None,
    region: RegionOption = None,
    as_json: AsJson = False,
) -> None:
    """Every partner key: partner, tier, key id and when it was issued (never the key itself)."""
    target = target_or_exit(state_dir, stack_name, region)
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
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    stack_name: StackNameOption = None,
    region: RegionOption = None,
    as_json: AsJson = False,
) -> None:
    """Revoke every key of a partner; its analyses stay until erased or expired."""
    target = target_or_exit(state_dir, stack_name, region)
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
