"""Analysis options from object metadata, else the stack defaults."""

from __future__ import annotations

import pytest

from skin_analysis.ingest import AnalysisOptions, InvalidOptions, resolve_options
from skin_analysis.quality import Quality

DEFAULTS = ("sd", ("wrinkle", "pore"))


def test_no_metadata_means_the_stack_defaults() -> None:
    assert resolve_options({}, *DEFAULTS) == AnalysisOptions(Quality.SD, ("wrinkle", "pore"))


def test_metadata_actions_are_trimmed_deduplicated_and_give_the_quality() -> None:
    options = resolve_options({"skin-actions": " hd_acne, hd_pore,hd_acne "}, *DEFAULTS)
    assert options == AnalysisOptions(Quality.HD, ("hd_acne", "hd_pore"))


def test_quality_and_actions_together_must_agree() -> None:
    assert resolve_options({"skin-quality": "HD", "skin-actions": "hd_acne"}, *DEFAULTS).quality is Quality.HD
    with pytest.raises(InvalidOptions, match="hd but the actions are sd"):
        resolve_options({"skin-quality": "hd", "skin-actions": "acne"}, *DEFAULTS)


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({"skin-quality": "ultra"}, "'ultra'; use 'sd' or 'hd'"),
        ({"skin-quality": "hd"}, "no x-amz-meta-skin-actions"),
        ({"skin-actions": "acne,hd_pore"}, "mix SD and HD"),
        ({"skin-actions": "sparkle"}, "sparkle"),
    ],
)
def test_invalid_options_say_why(metadata: dict[str, str], reason: str) -> None:
    with pytest.raises(InvalidOptions, match=reason):
        resolve_options(metadata, *DEFAULTS)
