"""Decode a large JPEG smaller than it is stored: libjpeg shrinks it by M/8 inside the inverse DCT.

Shrinking inside the IDCT costs almost nothing, because libjpeg computes fewer output pixels from the same
coefficients. A resample of the full-size pixels costs far more. Pillow's `draft` only asks for 1/2, 1/4 or 1/8.
That jump is too big for a 48 MP phone photo going to 2560 px: 1/4 is too small, so `draft` picks 1/2 and
decodes 12 MP. libjpeg-turbo also scales by 3/8, which gives 3024 x 2268 (6.9 MP) for that photo. Both scales
come out of the same Pillow setting: Pillow passes 1/n as libjpeg's scale_num/scale_denom, and libjpeg rounds
it up to the next M/8 it supports (1/3 becomes 3/8). `scale_for_decoding` sets that up the way `draft` does
and gives the region of the scaled image that covers the original, to be passed to the final resample.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from PIL import features

if TYPE_CHECKING:
    from PIL.JpegImagePlugin import JpegImageFile

_EIGHTHS = 8
# Output size in eighths → the `n` of the 1/n Pillow passes to libjpeg (libjpeg uses the smallest M/8 ≥ 1/n).
_DENOMINATOR_FOR_EIGHTHS = {1: 8, 2: 4, 3: 3, 4: 2}
# IJG libjpeg 6b scales by 1/2, 1/4 and 1/8 only; asking it for 1/3 would give 1/2.
_POWER_OF_TWO_EIGHTHS = (1, 2, 4)


@cache
def supported_eighths() -> tuple[int, ...]:
    """The scales, in eighths, that the libjpeg Pillow was built with applies inside the IDCT."""
    return tuple(_DENOMINATOR_FOR_EIGHTHS) if features.check_feature("libjpeg_turbo") else _POWER_OF_TWO_EIGHTHS


def scale_for_decoding(image: JpegImageFile, target: tuple[int, int]) -> tuple[float, float, float, float] | None:
    """Make `image` decode at the smallest M/8 scale that still covers `target`; call before `load`.

    Returns the box of the scaled image that matches the whole original, or None when the image stays full size
    (it is not at least 2x the target on both sides, or it is not a plain single-tile JPEG that was never loaded).
    """
    width, height = image.size
    eighths = next(
        (m for m in supported_eighths() if width * m >= _EIGHTHS * target[0] and height * m >= _EIGHTHS * target[1]),
        None,
    )
    if eighths is None or len(image.tile) != 1 or image.decoderconfig:
        return None
    tile = image.tile[0]
    if tile.codec_name != "jpeg" or tile.extents != (0, 0, width, height):
        return None
    # Exactly libjpeg's output size (jdiv_round_up(side * M, 8)): the decoder's line buffer is sized from it.
    scaled = (-(-width * eighths // _EIGHTHS), -(-height * eighths // _EIGHTHS))
    image.tile = [tile._replace(extents=(0, 0, *scaled))]
    image._size = scaled  # what JpegImageFile.draft sets too: there is no public setter
    image.decoderconfig = (_DENOMINATOR_FOR_EIGHTHS[eighths], 0)
    return 0.0, 0.0, width * eighths / _EIGHTHS, height * eighths / _EIGHTHS
