"""Our EventBridge contract: the published schemas, the sample events and the models agree."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from skin_analysis.errors import ErrorCode
from skin_analysis.events import EVENT_SOURCE, AnalysisCompleted, AnalysisFailed, ErrorDetail, ResultLocation
from skin_analysis_local.event_schemas import SCHEMAS_DIR, render_all, schema_file_name

SAMPLES_DIR = Path(__file__).resolve().parents[3] / "events" / "bus"


def _schema(detail_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS_DIR / schema_file_name(detail_type)).read_text())
    return schema


def test_committed_schemas_match_the_models() -> None:
    # A failure here means a model changed: run `make schemas` and review the contract diff.
    for name, content in render_all().items():
        assert (SCHEMAS_DIR / name).read_text() == content, name


@pytest.mark.parametrize("sample", sorted(SAMPLES_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_sample_events_validate(sample: Path) -> None:
    event = json.loads(sample.read_text())
    assert event["source"] == EVENT_SOURCE
    jsonschema.validate(event, _schema(event["detail-type"]))


def test_a_failed_event_built_from_an_error_code_validates() -> None:
    code = ErrorCode.IMAGE_TOO_SMALL
    detail = AnalysisFailed(
        analysis_id="a" * 64,
        quality="hd",
        dst_actions=["hd_pore"],
        occurred_at=datetime.now(UTC),
        error=ErrorDetail(code=code, message=code.meaning, fix=code.fix),
    )
    event = {"source": EVENT_SOURCE, "detail-type": detail.detail_type, "detail": json.loads(detail.model_dump_json())}
    jsonschema.validate(event, _schema(AnalysisFailed.detail_type))
    assert event["detail"]["version"] == "1"


def test_a_completed_event_without_a_required_field_is_refused() -> None:
    detail = AnalysisCompleted(
        analysis_id="b" * 64,
        quality="sd",
        dst_actions=["wrinkle"],
        occurred_at=datetime.now(UTC),
        result=ResultLocation(table="t", bucket="b", prefix=f"analyses/{'b' * 64}/"),
    )
    event = {"source": EVENT_SOURCE, "detail-type": detail.detail_type, "detail": json.loads(detail.model_dump_json())}
    del event["detail"]["result"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(event, _schema(AnalysisCompleted.detail_type))
