"""Analysis quality: SD or HD, and the shortest photo side each accepts."""

from __future__ import annotations

from enum import StrEnum


class Quality(StrEnum):
    """The provider's two analysis qualities; the value is what the API and the item's `quality` store."""

    SD = "sd"
    HD = "hd"

    @property
    def min_short_side(self) -> int:
        """Smallest short side in pixels the provider accepts for this quality (contract §8)."""
        return _MIN_SHORT_SIDE[self]


_MIN_SHORT_SIDE: dict[Quality, int] = {Quality.SD: 480, Quality.HD: 1080}
