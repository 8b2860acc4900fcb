"""The report's files on disk (what a browser shows is tested in test_report_in_chromium.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skin_analysis_local.report.gather import GatheredAnalysis
from skin_analysis_local.report.render import write_report

if TYPE_CHECKING:
    from pathlib import Path


def test_a_second_report_into_the_same_directory_leaves_no_stale_photos(tmp_path: Path) -> None:
    # Given a report with one analysis's photo and mask
    mask_keys = {"acne": "analyses/a/masks/acne.png"}
    item = {"status": "SUCCEEDED", "mask_keys": mask_keys}
    write_report([GatheredAnalysis("a", item, b"jpeg", {"acne": b"png"}, mask_keys)], tmp_path, "first")
    assert (tmp_path / "assets" / "a" / "masks" / "acne.png").read_bytes() == b"png"

    # When another report, of an unknown analysis only, is written to the same directory
    write_report([GatheredAnalysis("b", None)], tmp_path, "second")

    # Then the first analysis's photo and mask are gone with it
    assert not (tmp_path / "assets").exists()
    assert "acne" not in (tmp_path / "index.html").read_text()
