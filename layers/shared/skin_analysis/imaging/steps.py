"""What normalization did to a photo, recorded on the result for logs and metrics."""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    """One transformation applied to an upload; a result lists them in the order they happened."""

    PASSED_THROUGH = "passed_through"
    """A compliant JPEG: metadata segments dropped, compressed pixels copied unchanged, nothing decoded."""
    DCT_SCALED = "dct_scaled"
    """A JPEG decoded at 1/2, 3/8, 1/4 or 1/8 scale inside the inverse DCT, because the output is at most that big."""
    FIRST_FRAME = "first_frame"
    """An animated image: only its first frame is kept."""
    DEPTH_REDUCED = "depth_reduced"
    """16-bit samples scaled to 8-bit."""
    PALETTE_EXPANDED = "palette_expanded"
    """A palette image expanded to true colour."""
    ALPHA_FLATTENED = "alpha_flattened"
    """Transparency composited over white."""
    ICC_CONVERTED = "icc_converted"
    """Colours converted from the embedded ICC profile (Display P3, Adobe RGB, CMYK, ...) to sRGB."""
    ICC_IGNORED = "icc_ignored"
    """The embedded ICC profile was unreadable or did not match the pixels; the colours were taken as sRGB."""
    CMYK_CONVERTED = "cmyk_converted"
    """An untagged CMYK image converted to RGB with the naive formula."""
    RESIZED = "resized"
    """Downscaled to the size policy's dimensions."""
    ORIENTED = "oriented"
    """The EXIF orientation applied to the pixels."""
    ENCODED = "encoded"
    """Encoded as a baseline sRGB JPEG without metadata."""
    QUALITY_LOWERED = "quality_lowered"
    """The JPEG quality was lowered to fit the output byte cap."""
