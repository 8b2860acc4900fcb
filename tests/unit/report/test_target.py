"""Which stack a command talks to: the local stack's state dir, or a named AWS stack."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from skin_analysis_local.target import TargetNotFound, resolve_target

if TYPE_CHECKING:
    from pathlib import Path


def _running_stack(state_dir: Path) -> None:
    (state_dir / "local.json").write_text(json.dumps({"aws_endpoint": "http://127.0.0.1:4599", "region": "eu-west-1"}))
    (state_dir / "outputs.json").write_text(
        json.dumps({"AnalysesTableName": "t", "UploadsBucketName": "u", "ResultsBucketName": "r"})
    )


def test_without_a_stack_name_the_local_stack_of_the_state_dir_is_the_target(tmp_path: Path) -> None:
    # Given a state dir with a running stack's local.json and outputs.json
    _running_stack(tmp_path)

    # When the target is resolved with no stack name
    target = resolve_target(state_dir=tmp_path)

    # Then its resources come from outputs.json and its clients reach moto with moto's credentials
    assert (target.table, target.uploads_bucket, target.results_bucket) == ("t", "u", "r")
    assert target.is_local
    s3 = target.client("s3")
    assert s3.meta.endpoint_url == "http://127.0.0.1:4599"
    assert s3.meta.region_name == "eu-west-1"
    assert target.environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4599"


def test_a_state_dir_without_a_running_stack_says_how_to_start_or_name_one(tmp_path: Path) -> None:
    # Given an empty state dir, When the target is resolved, Then the error names both ways out
    with pytest.raises(TargetNotFound, match=r"skin-analysis local up.*--stack-name"):
        resolve_target(state_dir=tmp_path)
