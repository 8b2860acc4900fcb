"""Parsing the provider's result shapes from canned bodies (the OpenAPI examples and live-observed forms)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from skin_analysis.provider import AnalysisRejected, ProviderUnavailable, TaskState
from skin_analysis.provider.results import parse_score_info, parse_status, read_zip

OPENAPI = Path(__file__).parents[2] / "integration" / "provider" / "openapi" / "perfect-corp-ai_skin_analysis.json"


def example(name: str) -> dict[str, Any]:
    doc = json.loads(OPENAPI.read_text())
    value: dict[str, Any] = doc["components"]["responses"]["SkinAnalysisResponse"]["content"]["application/json"][
        "examples"
    ][name]["value"]
    return value


def test_the_providers_json_example() -> None:
    status = parse_status("t1", example("format_json_success"))
    assert status.state is TaskState.SUCCESS
    results = status.results
    assert results is not None
    assert results.score_map()["hd_pore"]["nose"] == {"raw_score": 45.7, "ui_score": 46}
    assert {r.region: r.skin_type for r in results.skin_types} == {
        "whole": "Combination",
        "t_zone": "Oily",
        "u_zone": "Dry & Redness",
    }
    assert (results.skin_age, results.overall_score) == (29, 28.5)
    assert results.resized_image is not None
    assert results.resized_image.endswith("resized_image.jpg")
    assert "hd_wrinkle_forehead" in results.masks()


def test_the_providers_zip_example_bare_string() -> None:
    assert parse_status("t1", example("format_zip_success")).zip_url == "https://example.com/sample-result-url"


def test_zip_url_object_and_live_sd_entries() -> None:
    assert parse_status("t", {"data": {"task_status": "success", "results": {"url": "u"}}}).zip_url == "u"
    body = {
        "status": 200,
        "data": {
            "task_status": "success",
            "error": None,
            "results": {
                "output": [
                    {"type": "dark_circle_v2", "raw_score": 61.2, "ui_score": 70, "mask_urls": ["m"], "url": None},
                    {"type": "skin_type", "region": "t_zone", "skin_type": "Oily", "mask_urls": ["s"], "url": None},
                    {"type": "skin_age", "score": 31},
                ]
            },
        },
    }
    results = parse_status("t", body).results
    assert results is not None
    assert results.score_map() == {"dark_circle_v2": {"whole": {"raw_score": 61.2, "ui_score": 70}}}
    assert results.masks() == {"dark_circle_v2": "m", "skin_type_t_zone": "s"}


def test_running_with_polling_interval_and_error() -> None:
    running = parse_status("t", {"data": {"task_status": "running", "results": None, "polling_interval": 2000}})
    assert (running.state, running.polling_interval_ms) == (TaskState.RUNNING, 2000)
    running.raise_for_error()
    failed = parse_status("t", {"status": 200, "data": {"error": "error_below_min_image_size", "task_status": "error"}})
    with pytest.raises(AnalysisRejected) as caught:
        failed.raise_for_error()
    assert (caught.value.code, caught.value.task_id) == ("error_below_min_image_size", "t")


@pytest.mark.parametrize(
    "body",
    [{}, {"data": {"task_status": "done"}}, {"data": {"task_status": "success", "results": {"output": 3}}}],
)
def test_malformed_bodies_are_provider_unavailable(body: dict[str, Any]) -> None:
    with pytest.raises(ProviderUnavailable):
        parse_status("t", body)


def test_score_info_flat_nested_and_skin_type_forms() -> None:
    info = {
        "hd_redness": {"raw_score": 72.0, "ui_score": 77, "output_mask_name": "hd_redness_output.png"},
        "hd_pore": {
            "nose": {"raw_score": 29.1, "ui_score": 58, "output_mask_name": "hd_pore_output_nose.png"},
            "whole": {"raw_score": 49.6, "ui_score": 65, "output_mask_name": "hd_pore_output_all.png"},
        },
        "hd_skin_type": {"whole": {"skin_type": "Dry", "output_mask_name": "hd_skin_type.png"}},
        "skin_type": "Oily",
        "all": {"score": 75.75},
        "skin_age": 37,
    }
    results = parse_score_info(info)
    assert results.score_map()["hd_pore"]["whole"]["ui_score"] == 65
    assert results.masks()["hd_pore"] == "hd_pore_output_all.png"
    assert {(r.concern, r.skin_type) for r in results.skin_types} == {("hd_skin_type", "Dry"), ("skin_type", "Oily")}
    assert (results.overall_score, results.skin_age) == (75.75, 37)


def test_read_zip() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "skinanalysisResult/score_info.json",
            json.dumps(
                {
                    "wrinkle": {"raw_score": 36.0, "ui_score": 60, "output_mask_name": "wrinkle_output.png"},
                    "skin_age": 30,
                }
            ),
        )
        archive.writestr("skinanalysisResult/wrinkle_output.png", b"png")
    result = read_zip(out.getvalue())
    assert result.mask_bytes("wrinkle_output.png") == b"png"
    with pytest.raises(ProviderUnavailable):
        read_zip(b"not a zip")
