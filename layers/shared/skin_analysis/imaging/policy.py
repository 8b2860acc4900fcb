"""Size policy: the output dimensions for a photo and quality, and the limits that reject a photo."""

from __future__ import annotations

from skin_analysis.imaging.errors import ImageTooLarge, ImageTooSmall
from skin_analysis.quality import Quality

MAX_LONG_SIDE = 2560
"""The provider analyses at most 2560 px on the long side and resizes anything larger itself (contract §8)."""

MAX_OUTPUT_BYTES = 10_000_000
"""The provider refuses files of 10 MB or more; decimal megabytes keep us under either reading of "MB"."""

DEFAULT_MAX_PIXELS = 100_000_000
"""Our decompression-bomb limit, checked from the header before any pixel is decoded."""


def check_pixel_limit(width: int, height: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
    """Raise `ImageTooLarge` when a header's dimensions exceed `max_pixels`."""
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"The photo is {width}x{height} px ({width * height / 1e6:.0f} megapixels); "
            f"upload a photo under {max_pixels / 1e6:g} megapixels."
        )


def plan_size(width: int, height: int, quality: Quality) -> tuple[int, int]:
    """Output size for a photo: long side at most 2560, short side never below the quality's minimum.

    Never upscales. When fitting the long side into 2560 would push the short side of a very elongated photo
    below the minimum, the short side wins: it is scaled to exactly the minimum and the long side stays above
    2560 (the provider resizes that itself). Symmetric in width and height, and idempotent.
    """
    short, long = min(width, height), max(width, height)
    minimum = quality.min_short_side
    if short < minimum:
        raise ImageTooSmall(_too_small_message(width, height, quality))
    if long <= MAX_LONG_SIDE:
        return width, height
    # Compared in integers so that the decision, and therefore a re-plan of the output, never flips on rounding.
    if short * MAX_LONG_SIDE >= minimum * long:
        new_long, new_short = MAX_LONG_SIDE, round(short * MAX_LONG_SIDE / long)
    else:
        new_long, new_short = round(long * minimum / short), minimum
    return (new_long, new_short) if width >= height else (new_short, new_long)


def _too_small_message(width: int, height: int, quality: Quality) -> str:
    message = (
        f"The photo is {width}x{height} px; {quality.value.upper()} quality needs a short side of at least "
        f"{quality.min_short_side} px."
    )
    sd_minimum = Quality.SD.min_short_side
    if quality is Quality.HD and min(width, height) >= sd_minimum:
        message += f" It is big enough for SD quality (at least {sd_minimum} px): ask for SD instead."
    return message
