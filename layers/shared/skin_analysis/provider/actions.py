"""The provider's `dst_actions` catalogue (contract §4), its validation rules and the unit price table (§9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skin_analysis.provider.errors import InvalidActions
from skin_analysis.quality import Quality

if TYPE_CHECKING:
    from collections.abc import Iterable

SD_ACTIONS: tuple[str, ...] = (
    "wrinkle",
    "droopy_upper_eyelid",
    "droopy_lower_eyelid",
    "firmness",
    "acne",
    "moisture",
    "eye_bag",
    "dark_circle_v2",
    "age_spot",
    "radiance",
    "redness",
    "oiliness",
    "pore",
    "texture",
    "tear_trough",
    "skin_type",
)
HD_ACTIONS: tuple[str, ...] = (
    "hd_redness",
    "hd_oiliness",
    "hd_age_spot",
    "hd_radiance",
    "hd_moisture",
    "hd_dark_circle",
    "hd_eye_bag",
    "hd_droopy_upper_eyelid",
    "hd_droopy_lower_eyelid",
    "hd_firmness",
    "hd_texture",
    "hd_acne",
    "hd_pore",
    "hd_wrinkle",
    "hd_tear_trough",
    "hd_skin_type",
)
ACTION_QUALITY: dict[str, Quality] = {
    **dict.fromkeys(SD_ACTIONS, Quality.SD),
    **dict.fromkeys(HD_ACTIONS, Quality.HD),
}

WHOLE = "whole"
SKIN_TYPE_ACTIONS = frozenset({"skin_type", "hd_skin_type"})
SKIN_TYPE_REGIONS: tuple[str, ...] = ("whole", "t_zone", "u_zone")
SKIN_TYPES: tuple[str, ...] = (
    "Normal",
    "Oily",
    "Dry",
    "Combination",
    "Redness",
    "Dry & Redness",
    "Oily & Redness",
    "Combination & Redness",
)
# HD concerns reported per region; every other scored concern is one whole-face score.
HD_REGIONS: dict[str, tuple[str, ...]] = {
    "hd_pore": ("forehead", "nose", "cheek", "whole"),
    "hd_wrinkle": ("forehead", "glabellar", "crowfeet", "periocular", "nasolabial", "marionette", "whole"),
    "hd_texture": ("whole",),
    "hd_acne": ("whole",),
}

# Units per successful task by number of distinct concerns: (up to n concerns, SD units, HD units).
_UNIT_TIERS: tuple[tuple[int, int, int], ...] = ((4, 9, 12), (8, 12, 16), (12, 14, 20), (16, 16, 22))


def regions_of(action: str) -> tuple[str, ...]:
    """The regions the provider reports for `action` (`whole` only for single-score concerns)."""
    if action in SKIN_TYPE_ACTIONS:
        return SKIN_TYPE_REGIONS
    return HD_REGIONS.get(action, (WHOLE,))


def validate_actions(actions: Iterable[str]) -> tuple[Quality, tuple[str, ...]]:
    """Check `dst_actions` before spending a call; return their quality and the distinct actions in order."""
    distinct = tuple(dict.fromkeys(actions))
    if not distinct:
        raise InvalidActions("dst_actions is empty: ask for at least one concern, e.g. ['wrinkle'].")
    unknown = [action for action in distinct if action not in ACTION_QUALITY]
    if unknown:
        raise InvalidActions(
            f"Unknown dst_actions {unknown}: use the names in skin_analysis.provider.actions "
            "(SD_ACTIONS or HD_ACTIONS)."
        )
    qualities = {ACTION_QUALITY[action] for action in distinct}
    if len(qualities) > 1:
        raise InvalidActions(
            "dst_actions mix SD and HD concerns, which the provider refuses: send all SD or all hd_* actions."
        )
    return qualities.pop(), distinct


def unit_cost(quality: Quality, concern_count: int) -> int:
    """Units the provider charges for one successful task with `concern_count` distinct concerns."""
    for up_to, sd_units, hd_units in _UNIT_TIERS:
        if concern_count <= up_to:
            return sd_units if quality is Quality.SD else hd_units
    raise InvalidActions(f"{concern_count} concerns is more than the provider's 16 per task.")
