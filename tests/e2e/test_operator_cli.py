"""The operator commands (`submit`, `status`, `replay`, `doctor`) run as an operator runs them, on the session stack."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.pipeline import Pipeline, plain_jpeg

if TYPE_CHECKING:
    import boto3

CLI = Path(sys.executable).with_name("skin-analysis")


def run_cli(state_dir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`skin-analysis <args> --state-dir <state_dir>`, as a subprocess."""
    return subprocess.run(
        [str(CLI), *args, "--state-dir", str(state_dir)], capture_output=True, text=True, timeout=timeout, check=False
    )


def cli_json(state_dir: Path, *args: str, expect_code: int = 0, timeout: float = 120) -> Any:
    result = run_cli(state_dir, *args, "--json", timeout=timeout)
    assert result.returncode == expect_code, result.stderr + result.stdout
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def pipeline(aws: boto3.Session, local_stack: dict[str, Any]) -> Pipeline:
    return Pipeline.observe(aws, local_stack)


def test_submit_waits_for_the_result_and_status_explains_it(state_dir: Path, tmp_path: Path) -> None:
    # Given a good photo and one too small for SD
    good, small = tmp_path / "face.jpg", tmp_path / "tiny.jpg"
    good.write_bytes(plain_jpeg())
    small.write_bytes(plain_jpeg((320, 240)))

    # When both are submitted with --wait
    submitted = cli_json(
        state_dir,
        "submit",
        str(good),
        str(small),
        "--actions",
        "wrinkle,acne",
        "--wait",
        "--timeout",
        "60",
        expect_code=1,
    )

    # Then the command followed each to its end: one SUCCEEDED with scores, one FAILED (so exit code 1)
    by_path = {Path(entry["path"]).name: entry for entry in submitted}
    assert by_path["face.jpg"]["status"] == "SUCCEEDED"
    assert by_path["face.jpg"]["concerns"] == ["acne", "wrinkle"]
    assert by_path["tiny.jpg"]["status"] == "FAILED"

    # And status shows the success, and the failure with what it means and how to fix it
    ok = cli_json(state_dir, "status", by_path["face.jpg"]["analysis_id"])
    assert (ok["status"], ok["dst_actions"]) == ("SUCCEEDED", ["wrinkle", "acne"])
    failed = cli_json(state_dir, "status", by_path["tiny.jpg"]["analysis_id"])
    assert failed["error"]["code"] == "image_too_small"
    assert failed["error"]["fix"].startswith("Use a higher-resolution photo")
    assert run_cli(state_dir, "status", "0" * 64).returncode == 1


def test_doctor_is_all_ok_on_a_healthy_stack(state_dir: Path) -> None:
    findings = cli_json(state_dir, "doctor")
    assert [f for f in findings if f["level"] != "OK"] == []
    assert {f["check"] for f in findings} >= {
        "configuration",
        "provider key secret",
        "webhook secret",
        "provider key",
        "credit balance",
        "feature cost",
        "last webhook",
        "webhook self-test",
        "limiter headroom",
        "submission queue",
        "dead-letter queue",
        "oldest unfinished analysis",
    }


def test_doctor_fails_the_webhook_self_test_when_the_stack_holds_another_secret(
    pipeline: Pipeline, state_dir: Path
) -> None:
    # Given a provider that signs with a secret the stack does not hold (rotated in the console, not stored)
    original = pipeline.simulator.webhooks()["secret"]
    pipeline.simulator.rotate_webhook_secret()
    try:
        # When doctor runs
        findings = {f["check"]: f for f in cli_json(state_dir, "doctor", expect_code=1)}
    finally:
        pipeline.simulator.set_webhooks(secret=original)

    # Then the self-test fails with the stack's refusal and says which secret to store; the rest is fine
    self_test = findings["webhook self-test"]
    assert self_test["level"] == "FAIL"
    assert "webhook_invalid_signature" in self_test["detail"]
    assert "put-secret-value" in self_test["fix"]
    assert [name for name, f in findings.items() if f["level"] == "FAIL"] == ["webhook self-test"]


def test_replay_after_a_provider_outage_finishes_every_analysis_without_charging_twice(
    pipeline: Pipeline, state_dir: Path, stack_outputs: dict[str, str]
) -> None:
    # Given two analyses whose provider tasks ran while every status GET failed (the provider's outage)
    started = datetime.now(UTC)
    photos = [plain_jpeg() for _ in range(2)]
    pipeline.simulator.server_errors(["task.status"], times=None, status=503)
    try:
        ids = [pipeline.upload(photo, **{"skin-actions": "wrinkle"}) for photo in photos]
        failed = [pipeline.finished(analysis_id, timeout=200) for analysis_id in ids]
    finally:
        pipeline.simulator.clear_faults()
    assert [item["error_code"]["S"] for item in failed] == ["provider_unavailable"] * 2
    tasks = [item["task_id"]["S"] for item in failed]
    charged_before = pipeline.simulator.counters()["units_charged"]
    since = ("--code", "provider_unavailable", "--since", started.isoformat())

    # When a dry run looks first, Then it lists both and changes nothing
    planned = {r["analysis_id"]: r["outcome"] for r in cli_json(state_dir, "replay", "--dry-run", *since)}
    assert {planned[analysis_id] for analysis_id in ids} == {"would_resume"}
    assert [pipeline.status(analysis_id) for analysis_id in ids] == ["FAILED", "FAILED"]

    # When two replays run at the same time
    runs = [
        subprocess.Popen(
            [str(CLI), "replay", *since, "--json", "--state-dir", str(state_dir)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [json.loads(run.communicate(timeout=120)[0]) for run in runs]

    # Then each analysis was re-driven exactly once, resuming its task
    redriven = [r["analysis_id"] for output in outputs for r in output if r["outcome"] in {"resumed", "resubmitted"}]
    assert sorted(redriven) == sorted(ids)
    assert {r["outcome"] for output in outputs for r in output if r["analysis_id"] in ids} <= {"resumed", "taken"}

    # And every analysis SUCCEEDED with the task it already had: no new task, nothing charged twice
    done = [pipeline.finished(analysis_id, timeout=60) for analysis_id in ids]
    assert [item["status"]["S"] for item in done] == ["SUCCEEDED", "SUCCEEDED"]
    assert [item["task_id"]["S"] for item in done] == tasks
    counters = pipeline.simulator.counters()
    assert all(counters["tasks_by_source"][hashlib.sha256(photo).hexdigest()] == 1 for photo in photos)
    assert {task: counters["units_charged"][task] for task in tasks} == {task: charged_before[task] for task in tasks}

    # And each announced its failure once and its success once
    pages = pipeline.sfn.get_paginator("list_executions").paginate(stateMachineArn=stack_outputs["StateMachineArn"])
    names = [execution["name"] for page in pages for execution in page["executions"]]
    for analysis_id in ids:
        kinds = sorted(event["detail-type"] for event in pipeline.events_of(analysis_id, settle=0.5))
        assert kinds == ["Skin Analysis Completed", "Skin Analysis Failed"]
        assert [name for name in names if name.startswith(f"{analysis_id}-r")] == [f"{analysis_id}-r1"]
