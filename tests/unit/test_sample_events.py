"""Every handler has sample events (shared by tests and `sam local invoke`), and they parse as their source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, S3Event, SQSEvent

from skin_analysis_local.template import PROJECT_ROOT, load_template

EVENTS_DIR = PROJECT_ROOT / "events"


def test_every_function_has_sample_events() -> None:
    resources = load_template()["Resources"]
    for resource in resources.values():
        if resource["Type"] == "AWS::Serverless::Function":
            function_dir = Path(resource["Properties"]["CodeUri"]).name
            assert list((EVENTS_DIR / function_dir).glob("*.json")), function_dir


@pytest.mark.parametrize("path", sorted((EVENTS_DIR / "ingest").glob("*.json")), ids=lambda p: p.stem)
def test_s3_samples_parse(path: Path) -> None:
    event = S3Event(json.loads(path.read_text()))
    assert event.record.s3.get_object.key.startswith(("incoming/", "partners/"))


def test_sqs_sample_carries_the_task_token() -> None:
    event = SQSEvent(json.loads((EVENTS_DIR / "submitter" / "sqs-submission.json").read_text()))
    body = json.loads(next(iter(event.records)).body)
    assert set(body) == {"analysis_id", "task_token"}


@pytest.mark.parametrize(
    "path", sorted([*(EVENTS_DIR / "api").glob("*.json"), *(EVENTS_DIR / "webhook").glob("*.json")]), ids=str
)
def test_api_samples_parse(path: Path) -> None:
    event = APIGatewayProxyEvent(json.loads(path.read_text()))
    assert event.http_method in {"GET", "POST", "DELETE"}
    assert event.path.startswith(("/v1/", "/webhooks/"))
