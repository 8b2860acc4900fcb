"""Pure parts of finalize: a mask's file extension, ZIP members the result names, the stored attributes."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from skin_analysis.finalize import mask_extension, mask_prefix
from skin_analysis.finalize.result import _from_zip
from skin_analysis.provider.results import read_zip

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


@pytest.mark.parametrize(
    ("data", "name", "extension"),
    [
        (PNG, "/results/t/wrinkle_whole.png", "png"),
        (PNG, "/results/t/wrinkle_whole.jpg", "png"),  # the bytes win over the name
        (JPEG, "/results/t/wrinkle_whole.png", "jpg"),
        (JPEG, "wrinkle_output.png", "jpg"),
        (b"?", "/results/t/redness_whole.JPG", "jpg"),
        (b"?", "/results/t/redness_whole.jpeg", "jpg"),
        (b"?", "skin_type.png", "png"),
        (b"", "no-extension", "png"),
    ],
)
def test_a_masks_extension_comes_from_its_bytes_then_its_name(data: bytes, name: str, extension: str) -> None:
    assert mask_extension(data, name) == extension


def test_masks_live_under_the_analysis_prefix() -> None:
    assert mask_prefix("abc") == "analyses/abc/masks/"


def _zip(info: dict[str, object], members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("skinanalysisResult/score_info.json", json.dumps(info))
        for name, data in members.items():
            archive.writestr(f"skinanalysisResult/{name}", data)
    return out.getvalue()


def test_a_zip_mask_the_archive_lacks_is_reported_missing_and_the_rest_are_kept() -> None:
    # Given a ZIP whose score_info names two masks but holds only one (and a skin type with a shared mask)
    info = {
        "wrinkle": {"raw_score": 40.5, "ui_score": 52, "output_mask_name": "wrinkle_output.png"},
        "pore": {"raw_score": 70.0, "ui_score": 76, "output_mask_name": "pore_output.png"},
        "skin_type": {
            "whole": {"skin_type": "Oily", "output_mask_name": "skin_type.png"},
            "t_zone": {"skin_type": "Dry", "output_mask_name": "skin_type.png"},
        },
        "all": {"score": 55.25},
        "skin_age": 31,
    }
    archive = read_zip(_zip(info, {"wrinkle_output.png": PNG, "skin_type.png": PNG}))
    # When the result is prepared for copying
    result = _from_zip(archive)
    # Then the present masks can be fetched, the absent one is named, and the scores are all there
    assert sorted(result.masks) == ["skin_type", "skin_type_t_zone", "wrinkle"]
    assert result.masks["wrinkle"].fetch() == PNG
    assert result.masks["wrinkle"].name == "wrinkle_output.png"
    assert result.missing == ("pore",)
    assert result.results.score_map()["pore"] == {"whole": {"raw_score": 70.0, "ui_score": 76}}
    assert (result.results.skin_age, result.results.overall_score) == (31, 55.25)
