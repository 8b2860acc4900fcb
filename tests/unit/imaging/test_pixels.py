"""Pixels come out upright, 8-bit, opaque and sRGB, whatever the upload's mode, orientation or profile."""

from __future__ import annotations

import pytest
from PIL import Image, ImageCms

from skin_analysis.imaging import Step, normalize_image
from skin_analysis.quality import Quality
from tests.unit.imaging.colour import ADOBE_RGB, DISPLAY_P3, SRGB, RgbSpace, cmyk_profile, convert, delta_e, rgb_profile
from tests.unit.imaging.corpus import BLUE, GREEN, RED, animated, decode, encode, exif_bytes, marked, photo

# Where the stored pixel (x, y) of a W x H image is seen, per EXIF orientation (TIFF 6.0 / EXIF 2.32 tag 274).
_VIEWED_AT = {
    1: lambda x, y, w, h: (x, y),
    2: lambda x, y, w, h: (w - 1 - x, y),
    3: lambda x, y, w, h: (w - 1 - x, h - 1 - y),
    4: lambda x, y, w, h: (x, h - 1 - y),
    5: lambda x, y, w, h: (y, x),
    6: lambda x, y, w, h: (h - 1 - y, x),
    7: lambda x, y, w, h: (h - 1 - y, w - 1 - x),
    8: lambda x, y, w, h: (y, w - 1 - x),
}
_MAX_DELTA_E = 2.0


def _close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def _centre(data: bytes) -> tuple[int, ...]:
    image = decode(data).convert("RGB")
    pixel = image.getpixel((image.width // 2, image.height // 2))
    assert isinstance(pixel, tuple)
    return pixel


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize(
    ("size", "block"),
    [((640, 480), 40), ((6000, 4000), 400), ((6840, 1290), 160)],
    ids=["small", "dct-half", "dct-three-eighths"],
)
def test_exif_orientation_puts_the_marker_where_the_viewer_saw_it(
    orientation: int, size: tuple[int, int], block: int
) -> None:
    # Given a stored image with a red top-left and a blue top-right marker, tagged with an orientation
    data = encode(marked(size, block), "JPEG", quality=95, exif=exif_bytes(orientation))
    # When normalized
    result = normalize_image(data, Quality.SD)
    out = decode(result.data).convert("RGB")
    # Then each marker is where a viewer honouring the tag saw it, and the output is upright
    w, h = size
    scale = out.width / (w if orientation <= 4 else h)
    assert out.size == result.size
    for (x, y), colour in (((block // 2, block // 2), RED), ((w - 1 - block // 2, block // 2), BLUE)):
        vx, vy = _VIEWED_AT[orientation](x, y, w, h)
        pixel = out.getpixel((int(vx * scale), int(vy * scale)))
        assert isinstance(pixel, tuple)
        assert _close(pixel, colour), (orientation, pixel, colour)
    assert (Step.ORIENTED in result.steps) == (orientation != 1)


def test_cmyk_jpeg_without_profile() -> None:
    data = encode(Image.new("CMYK", (600, 600), (0, 255, 255, 0)), "JPEG", quality=95)
    result = normalize_image(data, Quality.SD)
    assert Step.CMYK_CONVERTED in result.steps
    assert _close(_centre(result.data), (255, 0, 0))


def test_cmyk_jpeg_with_profile_uses_the_profile() -> None:
    # Given a CMYK profile in which full cyan ink prints as a muted (0, 150, 200) rather than the naive (0, 255, 255)
    def print_colour(c: int, m: int, y: int, k: int) -> tuple[int, int, int]:
        return (
            (0, 0, 0)
            if k
            else ((0, 150, 200) if (c, m, y) == (1, 0, 0) else (255 * (1 - c), 255 * (1 - m), 255 * (1 - y)))
        )

    profile = cmyk_profile(print_colour)
    data = encode(Image.new("CMYK", (600, 600), (255, 0, 0, 0)), "JPEG", quality=95, icc_profile=profile)
    # When normalized
    result = normalize_image(data, Quality.SD)
    # Then the colour is the profile's cyan
    assert Step.ICC_CONVERTED in result.steps
    assert delta_e(_centre(result.data), (0, 150, 200)) < 3


def test_sixteen_bit_grey_png_keeps_its_grey() -> None:
    # Given a 16-bit grey PNG at 30000/65535 (a mid grey, 117 in 8 bits)
    data = encode(Image.new("I;16", (600, 600), 30000), "PNG")
    result = normalize_image(data, Quality.SD)
    # Then it comes out mid grey, not clipped to white
    assert Step.DEPTH_REDUCED in result.steps
    assert _close(_centre(result.data), (117, 117, 117), tolerance=3)


def test_palette_with_transparency_goes_over_white() -> None:
    # Given a palette PNG: index 0 transparent, index 1 green; left half transparent, right half green
    image = Image.new("P", (800, 600), 0)
    image.putpalette([0, 0, 0, *GREEN] + [0] * 762)
    image.paste(1, (400, 0, 800, 600))
    result = normalize_image(encode(image, "PNG", transparency=0), Quality.SD)
    out = decode(result.data).convert("RGB")
    assert {Step.PALETTE_EXPANDED, Step.ALPHA_FLATTENED} <= set(result.steps)
    assert _close(out.getpixel((100, 300)), (255, 255, 255))  # type: ignore[arg-type]
    assert _close(out.getpixel((700, 300)), GREEN)  # type: ignore[arg-type]


def test_rgba_goes_over_white() -> None:
    # Given transparent, half-transparent red and opaque blue thirds
    image = Image.new("RGBA", (900, 600), (0, 0, 0, 0))
    image.paste((255, 0, 0, 128), (300, 0, 600, 600))
    image.paste((*BLUE, 255), (600, 0, 900, 600))
    out = decode(normalize_image(encode(image, "PNG"), Quality.SD).data).convert("RGB")
    assert _close(out.getpixel((150, 300)), (255, 255, 255))  # type: ignore[arg-type]
    assert _close(out.getpixel((450, 300)), (255, 127, 127))  # type: ignore[arg-type]
    assert _close(out.getpixel((750, 300)), BLUE)  # type: ignore[arg-type]


def test_grey_and_alpha_webp_and_la_png() -> None:
    image = Image.new("LA", (600, 600), (40, 0))
    image.paste((40, 255), (300, 0, 600, 600))
    out = decode(normalize_image(encode(image, "PNG"), Quality.SD).data).convert("RGB")
    assert _close(out.getpixel((100, 300)), (255, 255, 255))  # type: ignore[arg-type]
    assert _close(out.getpixel((500, 300)), (40, 40, 40))  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"], ids=["animated-webp", "apng"])
def test_animation_keeps_its_first_frame(fmt: str) -> None:
    data = animated(fmt, (600, 600), (RED, BLUE, GREEN))
    result = normalize_image(data, Quality.SD)
    assert Step.FIRST_FRAME in result.steps
    assert _close(_centre(result.data), RED)


@pytest.mark.parametrize("space", [DISPLAY_P3, ADOBE_RGB], ids=lambda s: s.name)
@pytest.mark.parametrize("srgb_colour", [(200, 120, 100), (180, 60, 70), (70, 170, 90)])
def test_wide_gamut_profile_is_converted_to_srgb(space: RgbSpace, srgb_colour: tuple[int, int, int]) -> None:
    # Given a known sRGB colour, expressed in a wide-gamut space and tagged with that space's profile
    encoded = convert(srgb_colour, SRGB, space)
    assert delta_e(encoded, srgb_colour) > 3 * _MAX_DELTA_E, "the test colour must differ between the spaces"
    data = encode(Image.new("RGB", (600, 600), encoded), "PNG", icc_profile=rgb_profile(space))
    # When normalized
    result = normalize_image(data, Quality.SD)
    # Then the output, untagged sRGB, shows the original colour
    assert Step.ICC_CONVERTED in result.steps
    assert delta_e(_centre(result.data), srgb_colour) < _MAX_DELTA_E


def test_wide_gamut_jpeg_is_converted_not_passed_through() -> None:
    srgb_colour = (200, 120, 100)
    encoded = convert(srgb_colour, SRGB, DISPLAY_P3)
    data = encode(Image.new("RGB", (600, 600), encoded), "JPEG", quality=95, icc_profile=rgb_profile(DISPLAY_P3))
    result = normalize_image(data, Quality.SD)
    assert Step.PASSED_THROUGH not in result.steps
    assert delta_e(_centre(result.data), srgb_colour) < _MAX_DELTA_E


def test_our_srgb_profile_is_recognised_as_srgb() -> None:
    # Guards the profile builder: our hand-made sRGB profile and lcms's must agree
    from skin_analysis.imaging.icc import is_srgb

    assert is_srgb(rgb_profile(SRGB))
    assert is_srgb(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    assert not is_srgb(rgb_profile(DISPLAY_P3))
    assert not is_srgb(rgb_profile(ADOBE_RGB))


def test_unreadable_profile_is_ignored() -> None:
    data = encode(photo((600, 600)), "PNG", icc_profile=b"not an icc profile at all" * 10)
    result = normalize_image(data, Quality.SD)
    assert Step.ICC_IGNORED in result.steps


def test_heic_is_decoded_upright() -> None:
    # Given a HEIC with orientation 6 (pillow-heif stores it as a container rotation)
    data = encode(marked((640, 480), 40), "HEIF", quality=90, exif=exif_bytes(6))
    result = normalize_image(data, Quality.SD)
    out = decode(result.data).convert("RGB")
    # Then the red marker, stored top-left, is seen top-right
    assert result.size == (480, 640)
    assert _close(out.getpixel((480 - 20, 20)), RED, tolerance=30)  # type: ignore[arg-type]
