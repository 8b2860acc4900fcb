"""ICC colour management: recognise an sRGB profile, and convert pixels tagged with any other to sRGB."""

from __future__ import annotations

import io
from functools import cache, lru_cache

from PIL import Image, ImageCms

# Relative colorimetric keeps in-gamut colours exact, which is what redness scores need; black-point
# compensation only matters for CMYK profiles, whose black is not the RGB black.
_INTENT = ImageCms.Intent.RELATIVE_COLORIMETRIC
_FLAGS = ImageCms.Flags.BLACKPOINTCOMPENSATION
# ICC colour space (header field) → the Pillow mode whose pixels the profile can describe.
_MODE_OF_SPACE = {"RGB": "RGB", "CMYK": "CMYK", "GRAY": "L"}
# Primaries, secondaries, greys and a skin tone: a profile that maps all of them to themselves is sRGB.
_PROBE_COLOURS = (
    (0, 0, 0),
    (255, 255, 255),
    (255, 0, 0),
    (0, 255, 0),
    (0, 0, 255),
    (0, 255, 255),
    (255, 0, 255),
    (255, 255, 0),
    (64, 64, 64),
    (128, 128, 128),
    (192, 192, 192),
    (224, 172, 150),
)
# One 8-bit step: what rounding in two different sRGB implementations (lcms's and a camera's) can differ by.
_SRGB_TOLERANCE = 1


@lru_cache(maxsize=32)
def is_srgb(icc: bytes) -> bool:
    """Whether an ICC profile describes sRGB, judged by what it does to colours rather than by its name."""
    profile = _open(icc)
    if profile is None or _space(profile) != "RGB":
        return False
    probe = bytes(channel for colour in _PROBE_COLOURS for channel in colour)
    converted = _transform(icc, "RGB").apply(Image.frombytes("RGB", (len(_PROBE_COLOURS), 1), probe))
    return all(abs(a - b) <= _SRGB_TOLERANCE for a, b in zip(probe, converted.tobytes(), strict=True))


def to_srgb(image: Image.Image, icc: bytes) -> Image.Image | None:
    """Convert `image` (RGB, CMYK or L) from its ICC profile to sRGB RGB; None if the profile cannot apply."""
    profile = _open(icc)
    if profile is None or _MODE_OF_SPACE.get(_space(profile)) != image.mode:
        return None
    return _transform(icc, image.mode).apply(image)


def _space(profile: ImageCms.ImageCmsProfile) -> str:
    return str(profile.profile.xcolor_space).strip()


@lru_cache(maxsize=32)
def _open(icc: bytes) -> ImageCms.ImageCmsProfile | None:
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (OSError, ImageCms.PyCMSError, TypeError, ValueError):
        return None


# Phones embed the same few profiles in every photo; building a transform costs milliseconds, reusing one nothing.
@lru_cache(maxsize=16)
def _transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform:
    return ImageCms.buildTransform(io.BytesIO(icc), _srgb(), mode, "RGB", _INTENT, _FLAGS)


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
