"""Pixel corrections: 8-bit working modes, alpha over white, sRGB, size and EXIF orientation."""

from __future__ import annotations

from PIL import ExifTags, Image

from skin_analysis.imaging.icc import is_srgb, to_srgb
from skin_analysis.imaging.steps import Step

# Pillow's 16-bit and 32-bit integer greyscale modes (16-bit PNGs open as one of these).
_WIDE_GREY_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
_ALPHA_MODES = {"RGBA": "RGB", "RGBa": "RGB", "LA": "L", "La": "L", "PA": "RGB"}
# Quality-equivalent to a plain Lanczos resample once the image is this many times the target (Pillow docs),
# and much cheaper: a box `reduce` by the integer factor does the bulk of the shrinking.
_REDUCING_GAP = 3.0
_WHITE = 255
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def orientation_of(image: Image.Image) -> int:
    """The EXIF orientation (1-8); 1 when absent or out of range."""
    value = image.getexif().get(ExifTags.Base.Orientation, 1)
    return value if value in _TRANSPOSE_FOR_ORIENTATION else 1


def to_working_mode(image: Image.Image, steps: list[Step]) -> Image.Image:
    """Bring any decoded mode to 8-bit RGB, L or CMYK (CMYK only when a profile will convert it), no alpha."""
    mode = image.mode
    if mode in _WIDE_GREY_MODES:
        # Scale rather than clip: clipping turns every 16-bit grey above 255 into white.
        steps.append(Step.DEPTH_REDUCED)
        return image.point(lambda value: value * (1 / 257)).convert("L")
    if mode == "P":
        steps.append(Step.PALETTE_EXPANDED)
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode == "1":
        image = image.convert("L")
    elif mode == "CMYK" and not image.info.get("icc_profile"):
        steps.append(Step.CMYK_CONVERTED)
        image = image.convert("RGB")
    if image.mode in _ALPHA_MODES:
        return _flatten_on_white(image, steps)
    if image.mode not in {"RGB", "L", "CMYK"}:
        return image.convert("RGB")
    return image


def _flatten_on_white(image: Image.Image, steps: list[Step]) -> Image.Image:
    steps.append(Step.ALPHA_FLATTENED)
    base_mode = _ALPHA_MODES[image.mode]
    with_alpha = image.convert(f"{base_mode}A")
    flattened = Image.new(base_mode, image.size, _WHITE if base_mode == "L" else (_WHITE,) * 3)
    flattened.paste(with_alpha.convert(base_mode), mask=with_alpha.getchannel("A"))
    # The profile still describes the colours; keep it for the sRGB conversion that follows.
    flattened.info = {key: value for key, value in image.info.items() if key == "icc_profile"}
    return flattened


def resized(
    image: Image.Image,
    size: tuple[int, int],
    steps: list[Step],
    box: tuple[float, float, float, float] | None = None,
) -> Image.Image:
    """Downscale `box` of the image (default: all of it) to `size`, in the image's own orientation."""
    if image.size == size:
        return image
    steps.append(Step.RESIZED)
    return image.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=_REDUCING_GAP)


def in_srgb(image: Image.Image, icc: bytes | None, steps: list[Step]) -> Image.Image:
    """Convert a working-mode image to sRGB RGB using its ICC profile, if it has one that is not sRGB."""
    if icc and not (image.mode == "RGB" and is_srgb(icc)):
        converted = to_srgb(image, icc)
        if converted is not None:
            steps.append(Step.ICC_CONVERTED)
            return converted
        steps.append(Step.ICC_IGNORED)
    return image if image.mode == "RGB" else image.convert("RGB")


def oriented(image: Image.Image, orientation: int, steps: list[Step]) -> Image.Image:
    """Apply an EXIF orientation to the pixels (a lossless transpose), so the output needs no EXIF."""
    transpose = _TRANSPOSE_FOR_ORIENTATION.get(orientation)
    if transpose is None:
        return image
    steps.append(Step.ORIENTED)
    return image.transpose(transpose)
