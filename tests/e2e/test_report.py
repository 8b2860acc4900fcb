"""`skin-analysis report` against the session's local stack, run as a user runs it."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, Any

from tests.e2e.pipeline import Pipeline, plain_jpeg
from tests.e2e.stack import CLI

if TYPE_CHECKING:
    from pathlib import Path

    import boto3


def test_the_report_copies_the_photo_and_masks_of_an_analysis_and_names_an_unknown_id(
    local_stack: dict[str, Any], aws: boto3.Session, tmp_path: Path
) -> None:
    # Given an analysis that succeeded on the local stack
    pipeline = Pipeline.observe(aws, local_stack)
    analysis_id = pipeline.upload(plain_jpeg())
    item = pipeline.finished(analysis_id)
    assert item["status"]["S"] == "SUCCEEDED"
    unknown = "f" * 64

    # When a report of it and of an unknown id is written
    result = subprocess.run(
        [CLI, "report", analysis_id, unknown, "--out", str(tmp_path), "--state-dir", str(local_stack["state_dir"])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # Then the page is written with the photo and every mask beside it, and the unknown id fails the command
    assert result.returncode == 1, result.stderr
    assert f"not found: {unknown}" in result.stderr
    page = (tmp_path / "index.html").read_text()
    assert f'data-analysis-id="{analysis_id}" data-status="SUCCEEDED"' in page
    assert f'data-analysis-id="{unknown}" data-status="NOT_FOUND"' in page
    folder = tmp_path / "assets" / analysis_id
    normalized = pipeline.s3.get_object(Bucket=local_stack["results_bucket"], Key=item["normalized_key"]["S"])
    assert (folder / "normalized.jpg").read_bytes() == normalized["Body"].read()
    assert {path.stem for path in (folder / "masks").iterdir()} == set(item["mask_keys"]["M"])
