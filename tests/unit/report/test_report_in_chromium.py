"""The HTML report as a browser shows it: rendered from a fixture (no stack) in headless Chromium."""

from __future__ import annotations

import io
import os
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from skin_analysis.errors import describe_error
from skin_analysis_local.report.gather import GatheredAnalysis
from skin_analysis_local.report.render import PHOTO_GUIDANCE, write_report

CHROMIUM = Path("/usr/bin/chromium")
# .ci/run installs Chromium and sets CI: there the test must run, never skip.
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="Chromium not installed (apt-get install -y --no-install-recommends chromium); CI installs it",
)

SUCCEEDED_ID = "a" * 64
FAILED_ID = "b" * 64
UNKNOWN_ID = "c" * 64
SCORES = {
    "wrinkle": {"whole": {"raw_score": 40.5, "ui_score": 52}},
    "hd_pore": {"whole": {"raw_score": 71.0, "ui_score": 77}, "forehead": {"raw_score": 20.1, "ui_score": 36}},
    "redness": {"whole": {"raw_score": 12.0, "ui_score": 30}},
}
MASKS = ("wrinkle", "hd_pore", "hd_pore_forehead", "redness")


def _image(size: tuple[int, int], mode: str, image_format: str) -> bytes:
    image = Image.new(mode, size, (210, 170, 140) if mode == "RGB" else (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((60, 80, 240, 320), fill=(255, 80, 64, 160) if mode == "RGBA" else (190, 150, 120))
    out = io.BytesIO()
    image.save(out, image_format)
    return out.getvalue()


UPLOADED = _image((300, 400), "RGB", "JPEG")


def _fixture() -> list[GatheredAnalysis]:
    mask_keys = {name: f"analyses/{SUCCEEDED_ID}/masks/{name}.png" for name in MASKS}
    succeeded = {
        "analysis_id": SUCCEEDED_ID,
        "status": "SUCCEEDED",
        "source_key": "incoming/demo/amara.jpg",
        "quality": "hd",
        "scores": SCORES,
        "skin_type": {"whole": "Combination", "t_zone": "Oily", "u_zone": "Dry & Redness"},
        "skin_age": 31,
        "overall_score": 64.25,
        "mask_keys": mask_keys,
        "created_at": "2026-11-23T11:00:00.000000+0000",
    }
    failed = {
        "analysis_id": FAILED_ID,
        "status": "FAILED",
        "source_key": "incoming/demo/dark.jpg",
        "quality": "sd",
        "error_code": "error_lighting_dark",
        "error_message": "The provider's engine reported error_lighting_dark.",
    }
    mask = _image((300, 400), "RGBA", "PNG")
    return [
        GatheredAnalysis(
            SUCCEEDED_ID,
            succeeded,
            _image((300, 400), "RGB", "JPEG"),
            dict.fromkeys(MASKS, mask),
            mask_keys,
        ),
        GatheredAnalysis(FAILED_ID, failed, upload=UPLOADED),
        GatheredAnalysis(UNKNOWN_ID, None),
    ]


class _Elements(HTMLParser):
    """Every element of a document as (tag, attributes, text directly inside it)."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text: list[str] = []
        self.elements.append((tag, dict(attrs), text))
        if tag not in {"img", "input", "meta", "br"}:
            self._open.append(text)

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1].append(data)

    def find(self, tag: str, **attributes: str) -> list[tuple[dict[str, str | None], str]]:
        return [
            (attrs, "".join(text))
            for name, attrs, text in self.elements
            if name == tag and all(attrs.get(key.replace("_", "-")) == value for key, value in attributes.items())
        ]


def _dump_dom(page: Path, profile: Path) -> str:
    """The DOM after the page's scripts ran, as headless Chromium serializes it."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--dump-dom",
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, _Elements, str]:
    out = tmp_path_factory.mktemp("report")
    page = write_report(_fixture(), out, "fixture report")
    dom = _dump_dom(page, tmp_path_factory.mktemp("chromium-profile"))
    parser = _Elements()
    parser.feed(dom)
    return out, parser, dom


def test_the_scripts_ran_and_every_mask_is_overlaid_at_the_slider_opacity(
    rendered: tuple[Path, _Elements, str],
) -> None:
    # Given the report of a succeeded analysis with four masks, as Chromium renders it
    out, dom, _ = rendered

    # Then the page's script ran, and each mask is an image over the photo, at the slider's opacity
    assert dom.find("html", data_ready="true")
    masks = dom.find("img", **{"class": "mask"})
    assert sorted(str(attrs["data-mask"]) for attrs, _ in masks) == sorted(MASKS)
    for attrs, _ in masks:
        assert (out / str(attrs["src"])).is_file()
        assert "opacity: 0.6" in str(attrs["style"])
    [(photo, _)] = dom.find("img", alt="normalized photo")
    assert Image.open(out / str(photo["src"])).size == (300, 400)


def test_a_toggle_per_mask_and_only_the_weakest_concern_starts_shown(rendered: tuple[Path, _Elements, str]) -> None:
    # Given the rendered report
    _, dom, _ = rendered

    # Then every mask has a checkbox, and the script hid every mask but the weakest concern's (redness, 30)
    toggles = {str(attrs["data-mask"]): "checked" in attrs for attrs, _ in dom.find("input", type="checkbox")}
    assert toggles == {"wrinkle": False, "hd_pore": False, "hd_pore_forehead": False, "redness": True}
    hidden = {str(attrs["data-mask"]): "hidden" in attrs for attrs, _ in dom.find("img", **{"class": "mask"})}
    assert hidden == {"wrinkle": True, "hd_pore": True, "hd_pore_forehead": True, "redness": False}
    assert dom.find("input", type="range", **{"class": "opacity-slider"})


def test_scores_skin_type_per_zone_skin_age_and_overall_are_shown(rendered: tuple[Path, _Elements, str]) -> None:
    # Given the rendered report
    _, dom, _ = rendered

    # Then each concern and region has a bar with its ui_score, and the headline figures are there
    bars = {
        (str(attrs["data-concern"]), str(attrs["data-region"])): int(str(attrs["data-score"]))
        for attrs, _ in dom.find("li", **{"class": "score"})
    }
    assert bars == {
        (concern, region): entry["ui_score"] for concern, regions in SCORES.items() for region, entry in regions.items()
    }
    assert [text for _, text in dom.find("td")] == ["Combination", "Oily", "Dry & Redness"]
    assert [text for _, text in dom.find("span", data_skin_age="31")] == ["31"]
    assert [text for _, text in dom.find("span", data_overall="64.25")] == ["64"]


def test_a_failure_shows_its_code_the_fix_and_the_photo_guidance(rendered: tuple[Path, _Elements, str]) -> None:
    # Given the rendered report, whose second analysis failed with an engine code
    out, dom, page_text = rendered

    # Then its card shows the photo as uploaded (it has no normalized copy), the code, the fix from the error
    # table and the contract's photo guidance
    assert dom.find("section", data_analysis_id=FAILED_ID, data_status="FAILED")
    assert dom.find("div", data_error_code="error_lighting_dark")
    [(upload, _)] = dom.find("img", alt="the photo as uploaded")
    assert (out / str(upload["src"])).read_bytes() == UPLOADED
    fix = describe_error("error_lighting_dark").fix
    assert any(fix in text for _, text in dom.find("p", **{"class": "fix"}))
    assert [text for _, text in dom.find("li") if text in PHOTO_GUIDANCE] == list(PHOTO_GUIDANCE)
    assert dom.find("section", data_analysis_id=UNKNOWN_ID, data_status="NOT_FOUND")
    assert "60 %" in page_text
