"""JPEG encoding under a byte cap: the best quality of a short ladder that fits."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from skin_analysis.imaging.errors import ImageTooLarge

if TYPE_CHECKING:
    from PIL import Image

QUALITY_LADDER = (90, 85, 80, 70, 60, 50)
"""JPEG qualities tried in order; photos at 2560 px fit the first one with megabytes to spare."""

SUBSAMPLING_444 = 0
"""No chroma subsampling: redness is a chroma signal, and at most 2560 px the extra bytes are affordable."""


def encode_jpeg(image: Image.Image, max_bytes: int) -> tuple[bytes, int]:
    """Encode an RGB image as a metadata-free JPEG under `max_bytes`; returns the bytes and the quality used."""
    for quality in QUALITY_LADDER:
        buffer = io.BytesIO()
        # Pillow copies a decoded COM into the output unless told otherwise; EXIF and ICC only when passed.
        image.save(buffer, "JPEG", quality=quality, subsampling=SUBSAMPLING_444, comment=b"")
        if buffer.tell() < max_bytes:
            return buffer.getvalue(), quality
    raise ImageTooLarge(f"The photo does not fit in {max_bytes / 1e6:g} MB even at JPEG quality {QUALITY_LADDER[-1]}.")
