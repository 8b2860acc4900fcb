"""The action catalogue, the SD/HD rules and the unit tiers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skin_analysis.provider import HD_ACTIONS, SD_ACTIONS, InvalidActions, unit_cost, validate_actions
from skin_analysis.quality import Quality

OPENAPI = Path(__file__).parents[2] / "integration" / "provider" / "openapi" / "perfect-corp-ai_skin_analysis.json"


def test_catalogue_matches_the_providers_enum() -> None:
    enum = json.loads(OPENAPI.read_text())["components"]["schemas"]["RunSkincareTaskDstActions"]["items"]["enum"]
    assert sorted(SD_ACTIONS + HD_ACTIONS) == sorted(enum)
    assert len(SD_ACTIONS) == len(HD_ACTIONS) == 16


@given(st.sampled_from([SD_ACTIONS, HD_ACTIONS]).flatmap(lambda pool: st.lists(st.sampled_from(pool), min_size=1)))
def test_one_quality_is_accepted_and_deduplicated(actions: list[str]) -> None:
    quality, distinct = validate_actions(actions)
    assert quality is (Quality.HD if actions[0].startswith("hd_") else Quality.SD)
    assert distinct == tuple(dict.fromkeys(actions))


@given(st.sampled_from(SD_ACTIONS), st.sampled_from(HD_ACTIONS), st.booleans())
def test_sd_and_hd_never_mix(sd: str, hd: str, hd_first: bool) -> None:
    with pytest.raises(InvalidActions, match="mix SD and HD"):
        validate_actions([hd, sd] if hd_first else [sd, hd])


@pytest.mark.parametrize("actions", [[], ["abc123"], ["wrinkle", "dark_circle"]])
def test_empty_and_unknown_are_refused(actions: list[str]) -> None:
    with pytest.raises(InvalidActions) as caught:
        validate_actions(actions)
    assert caught.value.code == "invalid_options"


@pytest.mark.parametrize(
    ("count", "sd", "hd"), [(1, 9, 12), (4, 9, 12), (5, 12, 16), (8, 12, 16), (9, 14, 20), (12, 14, 20), (16, 16, 22)]
)
def test_unit_tiers(count: int, sd: int, hd: int) -> None:
    assert (unit_cost(Quality.SD, count), unit_cost(Quality.HD, count)) == (sd, hd)
