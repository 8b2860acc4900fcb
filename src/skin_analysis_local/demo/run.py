"""`skin-analysis demo`: the whole pipeline on this machine in under a minute, ending in an HTML report.

Starts the local stack in this process (temp state dir, free ports, waits shrunk), drops the generated portraits
into `incoming/`, follows each analysis's status, prints the scores and failures, writes the report and stops.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from skin_analysis.errors import describe_error
from skin_analysis.ingest import ObjectIdentity
from skin_analysis_local.demo.portraits import PORTRAITS, Portrait, encode
from skin_analysis_local.report.gather import gather, read_item
from skin_analysis_local.report.render import write_report
from skin_analysis_local.target import StackTarget, local_target

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from rich.console import Console

# The defaults wait 20 s for a webhook and 5 s per task (docs/simulator.md); a demo has no reason to.
DEMO_PARAMETERS = {
    "WebhookGraceSeconds": "5",
    "PollInitialDelaySeconds": "1",
    "PollMaxDelaySeconds": "2",
    "SubmitRetryDelaySeconds": "1",
}
DEMO_PROVIDER_SETTINGS = {"delay": "2", "delay_jitter": "1"}
UPLOAD_PREFIX = "incoming/demo/"
# How far along each status is, for the progress bars.
_STEPS = {"AWAITING_UPLOAD": 0, "RECEIVED": 1, "QUEUED": 2, "SUBMITTED": 3, "RUNNING": 4, "SUCCEEDED": 5, "FAILED": 5}
_TERMINAL = frozenset({"SUCCEEDED", "FAILED"})


@dataclass(frozen=True)
class Upload:
    """A portrait dropped into the uploads bucket, and the analysis id ingest gives it."""

    portrait: Portrait
    analysis_id: str


def upload_portraits(target: StackTarget, photos: dict[Portrait, bytes]) -> list[Upload]:
    """Put each photo under `incoming/demo/`; the id is ingest's idempotency key of the object."""
    s3: S3Client = target.client("s3")
    uploads = []
    for portrait, data in photos.items():
        key = UPLOAD_PREFIX + portrait.filename
        s3.put_object(Bucket=target.uploads_bucket, Key=key, Body=data)
        etag = s3.head_object(Bucket=target.uploads_bucket, Key=key)["ETag"].strip('"')
        uploads.append(Upload(portrait, ObjectIdentity(target.uploads_bucket, key, etag).idempotency_key))
    return uploads


def follow(target: StackTarget, uploads: list[Upload], timeout: float, console: Console) -> None:
    """Show a bar per photo until every analysis is SUCCEEDED or FAILED, or `timeout` passed."""
    dynamodb: DynamoDBClient = target.client("dynamodb")
    items: dict[str, dict[str, Any]] = {}
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description:<12}"),
        BarColumn(bar_width=30),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        bars = {
            upload.analysis_id: progress.add_task(upload.portrait.name, total=5, status="uploaded")
            for upload in uploads
        }
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for analysis_id, bar in bars.items():
                if items.get(analysis_id, {}).get("status") in _TERMINAL:
                    continue
                item = read_item(dynamodb, target.table, analysis_id)
                if item is None:
                    continue
                items[analysis_id] = item
                status = item["status"]
                label = f"{status} {item['error_code']}" if status == "FAILED" else status
                progress.update(bar, completed=_STEPS.get(status, 0), status=label)
                if status in _TERMINAL:
                    progress.stop_task(bar)
            if all(items.get(u.analysis_id, {}).get("status") in _TERMINAL for u in uploads):
                break
            time.sleep(0.25)


def results_table(uploads: list[Upload], items: dict[str, dict[str, Any]]) -> Table:
    """Concerns down, photos across: each concern's score (ui_score of the whole face), skin age, overall."""
    done = [u for u in uploads if items.get(u.analysis_id, {}).get("status") == "SUCCEEDED"]
    table = Table(title="Scores (1-100, higher is healthier-looking skin)", title_justify="left")
    table.add_column("concern")
    for upload in done:
        table.add_column(upload.portrait.name, justify="right")
    concerns = sorted({concern for u in done for concern in items[u.analysis_id].get("scores", {})})
    for concern in concerns:
        row = [_whole_score(items[u.analysis_id], concern) for u in done]
        table.add_row(concern, *row)
    table.add_section()
    table.add_row("skin type", *[str(items[u.analysis_id].get("skin_type", {}).get("whole", "-")) for u in done])
    table.add_row("skin age", *[str(items[u.analysis_id].get("skin_age", "-")) for u in done])
    table.add_row("overall", *[f"{items[u.analysis_id].get('overall_score', 0):.0f}" for u in done], style="bold")
    return table


def _whole_score(item: dict[str, Any], concern: str) -> str:
    regions = item.get("scores", {}).get(concern, {})
    entry = regions.get("whole") or next(iter(regions.values()), None)
    return str(entry["ui_score"]) if entry else "-"


def failures_table(uploads: list[Upload], items: dict[str, dict[str, Any]]) -> Table:
    """Each photo that did not succeed: its status, error code and the fix."""
    table = Table(title="Failures", title_justify="left")
    for column in ("photo", "status", "error code", "fix"):
        table.add_column(column, overflow="fold")
    for upload in uploads:
        item = items.get(upload.analysis_id)
        status = item["status"] if item else "not found"
        if status == "SUCCEEDED":
            continue
        code = (item or {}).get("error_code") or "-"
        fix = describe_error(code).fix if code != "-" else "It did not finish in time: see `skin-analysis local logs`."
        table.add_row(upload.portrait.filename, status, code, fix)
    return table


def unexpected(uploads: list[Upload], items: dict[str, dict[str, Any]]) -> list[str]:
    """Each photo whose outcome is not the one its portrait expects (a good photo not SUCCEEDED, ...)."""
    wrong = []
    for upload in uploads:
        item = items.get(upload.analysis_id) or {}
        expected = upload.portrait.expected_error
        outcome = (item.get("status"), item.get("error_code"))
        if outcome != (("FAILED", str(expected)) if expected else ("SUCCEEDED", None)):
            wrong.append(f"{upload.portrait.filename}: {outcome[0] or 'no item'} {outcome[1] or ''}".rstrip())
    return wrong


def run_demo(out_dir: Path, timeout: float, console: Console) -> int:
    """Run the demo; 0 when every photo ended as expected and the report is written."""
    from skin_analysis_local.stack.runtime import LocalStack, StackOptions  # noqa: PLC0415 - moto is heavy

    started = time.monotonic()
    with ThreadPoolExecutor() as painter, tempfile.TemporaryDirectory(prefix="skin-analysis-demo-") as state:
        # The portraits are drawn while the stack boots.
        drawn = {portrait: painter.submit(encode, portrait) for portrait in PORTRAITS}
        options = StackOptions(
            state_dir=Path(state),
            aws_port=0,
            api_port=0,
            provider_port=0,
            parameter_overrides=DEMO_PARAMETERS,
            provider_settings=DEMO_PROVIDER_SETTINGS,
        )
        stack = LocalStack(options)
        try:
            with console.status("Starting the local stack (moto, the template, the handlers, the simulator)..."):
                stack.start()
            console.print(f"Local stack ready in {stack.boot_seconds:.1f} s.")
            target = local_target(Path(state))
            uploads = upload_portraits(target, {portrait: future.result() for portrait, future in drawn.items()})
            console.print(f"Dropped {len(uploads)} photos into s3://{target.uploads_bucket}/{UPLOAD_PREFIX}")
            follow(target, uploads, timeout, console)
            # Read once more: moto serves a read racing an update half-applied (SUCCEEDED without its scores).
            gathered = gather(target, [u.analysis_id for u in uploads])
            items = {analysis.analysis_id: analysis.item for analysis in gathered if analysis.item}
            console.print(results_table(uploads, items))
            console.print(failures_table(uploads, items))
            report = write_report(gathered, out_dir, "skin-analysis demo")
        finally:
            with console.status("Stopping the local stack..."):
                stack.stop()
    console.print(f"Report: {report.resolve().as_uri()}")
    wrong = unexpected(uploads, items)
    console.print(f"Demo finished in {time.monotonic() - started:.0f} s.")
    for line in wrong:
        console.print(f"[red]unexpected outcome[/red] {line}")
    return 1 if wrong else 0
