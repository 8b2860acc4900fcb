"""`skin-analysis submit PATH...`: upload photos under incoming/ and, with --wait, follow them to the end."""

from __future__ import annotations

import time
import uuid
from pathlib import Path  # noqa: TC003  (Typer reads the annotations at runtime)
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

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
from skin_analysis_local.operator_cli.status import print_summary
from skin_analysis_local.operator_cli.views import item_summary
from skin_analysis_local.stack.statedir import DEFAULT_STATE_DIR

if TYPE_CHECKING:
    from skin_analysis_local.target import StackTarget

_TERMINAL = frozenset({"SUCCEEDED", "FAILED"})
_CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


def submit_command(
    paths: Annotated[list[Path], typer.Argument(help="Photos to analyse.", exists=True, dir_okay=False)],
    quality: Annotated[
        str | None, typer.Option("--quality", help="sd or hd (default: the stack's DefaultQuality).")
    ] = None,
    actions: Annotated[
        str | None,
        typer.Option("--actions", help="Comma-separated dst_actions, e.g. wrinkle,acne (default: the stack's)."),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Follow each analysis until SUCCEEDED or FAILED.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Longest --wait, in seconds.")] = 900.0,
    *,
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    stack_name: StackNameOption = None,
    use_aws: UseAwsOption = False,
    region: RegionOption = None,
    config_env: ConfigEnvOption = "default",
    as_json: JsonOption = False,
) -> None:
    """Upload photos to the stack's uploads bucket (incoming/); each becomes one analysis, whose id is printed.

    Options travel as object metadata (x-amz-meta-skin-quality, x-amz-meta-skin-actions). With --wait the
    command follows every analysis and exits 1 if any FAILED or the wait ran out.
    """
    if quality is not None and quality.lower() not in {"sd", "hd"}:
        fail(f"--quality {quality}: use sd or hd", 2)
    target = open_target(state_dir, stack_name, region, use_aws=use_aws, config_env=config_env)
    metadata = _metadata(quality, actions)
    submitted = [(path, upload(target, path, metadata)) for path in paths]
    if not as_json:
        for path, analysis_id in submitted:
            console.print(f"{path} → analysis [bold]{analysis_id}[/bold]", highlight=False)
    if not wait:
        if as_json:
            print_json([{"path": str(path), "analysis_id": analysis_id} for path, analysis_id in submitted])
        return
    finals = follow(target, [analysis_id for _, analysis_id in submitted], timeout, quiet=as_json)
    if as_json:
        print_json([{"path": str(path), **finals.get(aid, {"analysis_id": aid})} for path, aid in submitted])
    else:
        for summary in finals.values():
            print_summary(summary)
    if len(finals) < len(submitted) or any(summary["status"] != "SUCCEEDED" for summary in finals.values()):
        raise typer.Exit(1)


def _metadata(quality: str | None, actions: str | None) -> dict[str, str]:
    metadata: dict[str, str] = {}
    if quality:
        metadata["skin-quality"] = quality.lower()
    if actions:
        metadata["skin-actions"] = ",".join(a.strip() for a in actions.split(",") if a.strip())
    return metadata


def upload(target: StackTarget, path: Path, metadata: dict[str, str]) -> str:
    """Put one photo under incoming/; returns the analysis id ingest gives it (its idempotency key)."""
    from skin_analysis.ingest import ObjectIdentity  # noqa: PLC0415

    key = f"incoming/cli/{uuid.uuid4().hex}/{path.name}"
    content_type = _CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
    put = target.client("s3").put_object(
        Bucket=target.uploads_bucket, Key=key, Body=path.read_bytes(), Metadata=metadata, ContentType=content_type
    )
    version = put.get("VersionId") or put["ETag"].strip('"')
    return str(ObjectIdentity(target.uploads_bucket, key, version).idempotency_key)


def follow(target: StackTarget, analysis_ids: list[str], timeout: float, *, quiet: bool) -> dict[str, dict[str, Any]]:
    """Poll the items until each is terminal or `timeout` passes; their last summaries (terminal or not)."""
    from skin_analysis.models import Analysis  # noqa: PLC0415

    deadline = time.monotonic() + timeout
    finals: dict[str, dict[str, Any]] = {}
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with bound_models(target), Progress(*columns, console=console, disable=quiet, transient=True) as progress:
        rows = {aid: progress.add_task(f"{aid[:12]}… waiting for ingest", total=None) for aid in analysis_ids}
        pending = set(analysis_ids)
        while pending and time.monotonic() < deadline:
            for analysis_id in sorted(pending):
                try:
                    item = Analysis.get(analysis_id, consistent_read=True)
                except Analysis.DoesNotExist:
                    continue
                summary = item_summary(item)
                finals[analysis_id] = summary
                progress.update(rows[analysis_id], description=f"{analysis_id[:12]}… {summary['status']}")
                if summary["status"] in _TERMINAL:
                    pending.discard(analysis_id)
            if pending:
                time.sleep(0.5)
    return finals
