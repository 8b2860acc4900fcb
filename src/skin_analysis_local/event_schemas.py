"""Writes the JSON Schemas of our events into `schemas/` from the detail models (`make schemas`).

The files are the published contract downstream consumers code against; a unit test fails when a model
changes without the files being regenerated, so a contract change is always a reviewed diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skin_analysis.events import EVENT_SOURCE, AnalysisCompleted, AnalysisFailed

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
EVENT_MODELS = (AnalysisCompleted, AnalysisFailed)


def schema_file_name(detail_type: str) -> str:
    """`Skin Analysis Completed` -> `skin-analysis-completed.v1.schema.json`."""
    return detail_type.lower().replace(" ", "-") + ".v1.schema.json"


def event_schema(model: type[AnalysisCompleted] | type[AnalysisFailed]) -> dict[str, Any]:
    """The schema of the whole EventBridge event as a rule target receives it, with our detail inside."""
    detail = model.model_json_schema(mode="serialization")
    definitions = detail.pop("$defs", {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://github.com/skin-analysis-pipeline/schemas/{schema_file_name(model.detail_type)}",
        "title": model.detail_type,
        "description": (model.__doc__ or "").strip(),
        "type": "object",
        "required": ["source", "detail-type", "detail"],
        "properties": {
            "source": {"const": EVENT_SOURCE},
            "detail-type": {"const": model.detail_type},
            "detail": detail,
        },
        "$defs": definitions,
    }


def render_all() -> dict[str, str]:
    """File name -> file content for every event schema."""
    return {
        schema_file_name(model.detail_type): json.dumps(event_schema(model), indent=2, sort_keys=True) + "\n"
        for model in EVENT_MODELS
    }


def main() -> None:
    """Regenerate the schema files."""
    SCHEMAS_DIR.mkdir(exist_ok=True)
    for name, content in render_all().items():
        (SCHEMAS_DIR / name).write_text(content)


if __name__ == "__main__":
    main()
