"""Every failure gets its exact error code, judged from the bytes, before any costly decoding."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from skin_analysis.errors import ErrorCode, SkinAnalysisError
from skin_analysis.imaging import ImageRejected, normalize_image
from skin_analysis.quality import Quality
from tests.unit.imaging.corpus import (
    animated,
    encode,
    exif_bytes,
    jpeg_header_only,
    photo,
    png_header_only,
    png_with_bad_data,
)


def _code_of(data: bytes, quality: Quality = Quality.SD, **options: int) -> ErrorCode:
    with pytest.raises(ImageRejected) as rejected:
        normalize_image(data, quality, **options)
    assert rejected.value.message, "every rejection carries a message for the user"
    return rejected.value.code


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    return encode(photo((800, 600)), "JPEG", quality=90)


@pytest.fixture(scope="module")
def png() -> bytes:
    return encode(photo((800, 600)), "PNG")


def test_rejections_are_domain_errors() -> None:
    assert issubclass(ImageRejected, SkinAnalysisError)


def test_empty_file_is_corrupt() -> None:
    assert _code_of(b"") is ErrorCode.CORRUPT_IMAGE


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_jpeg_is_corrupt(jpeg: bytes, keep: float) -> None:
    assert _code_of(jpeg[: int(len(jpeg) * keep)]) is ErrorCode.CORRUPT_IMAGE


def test_truncated_jpeg_needing_a_decode_is_corrupt() -> None:
    # Given a truncated JPEG that must be re-encoded (orientation 6), so Pillow gets to decode it
    data = encode(photo((800, 600)), "JPEG", exif=exif_bytes(6))
    assert _code_of(data[: len(data) // 2]) is ErrorCode.CORRUPT_IMAGE


def test_truncated_png_fails_at_load_and_is_corrupt(png: bytes) -> None:
    # Given a PNG cut inside its image data: Pillow opens it happily and fails only when decoding
    truncated = png[: len(png) // 2]
    Image.open(io.BytesIO(truncated))
    assert _code_of(truncated) is ErrorCode.CORRUPT_IMAGE


@pytest.mark.parametrize("cut", [3, 10, 20])
def test_header_cut_short_is_corrupt(png: bytes, jpeg: bytes, cut: int) -> None:
    assert _code_of(png[:cut]) is ErrorCode.CORRUPT_IMAGE
    assert _code_of(jpeg[:cut]) is ErrorCode.CORRUPT_IMAGE


def test_jpeg_signature_followed_by_garbage_is_corrupt() -> None:
    assert _code_of(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40) is ErrorCode.CORRUPT_IMAGE


def test_png_with_undecodable_data_is_corrupt() -> None:
    assert _code_of(png_with_bad_data(800, 600)) is ErrorCode.CORRUPT_IMAGE


def test_truncated_webp_is_corrupt() -> None:
    data = encode(photo((800, 600)), "WEBP", quality=80)
    assert _code_of(data[: len(data) // 2]) is ErrorCode.CORRUPT_IMAGE


def test_truncated_heic_is_corrupt() -> None:
    data = encode(photo((800, 600)), "HEIF", quality=80)
    assert _code_of(data[: len(data) // 2]) is ErrorCode.CORRUPT_IMAGE


def test_gif_is_unsupported_even_when_animated() -> None:
    assert _code_of(encode(photo((800, 600)), "GIF")) is ErrorCode.UNSUPPORTED_FORMAT
    assert _code_of(animated("GIF", (800, 600), ((255, 0, 0), (0, 0, 255)))) is ErrorCode.UNSUPPORTED_FORMAT


def test_text_named_like_a_jpeg_is_unsupported() -> None:
    # Given the contents of a text file uploaded as "photo.jpg": the name never reaches us, only the bytes
    assert _code_of(b"This is not a photo, just text saved as photo.jpg\n") is ErrorCode.UNSUPPORTED_FORMAT


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "AVIF", "PDF"])
def test_other_image_formats_are_unsupported(fmt: str) -> None:
    assert _code_of(encode(photo((800, 600)), fmt)) is ErrorCode.UNSUPPORTED_FORMAT


def test_one_pixel_image_is_too_small() -> None:
    assert _code_of(encode(Image.new("RGB", (1, 1)), "PNG")) is ErrorCode.IMAGE_TOO_SMALL
    assert _code_of(encode(Image.new("RGB", (1, 1)), "JPEG")) is ErrorCode.IMAGE_TOO_SMALL


def test_photo_too_small_for_hd(jpeg: bytes) -> None:
    with pytest.raises(ImageRejected) as rejected:
        normalize_image(jpeg, Quality.HD)
    assert rejected.value.code is ErrorCode.IMAGE_TOO_SMALL
    assert "big enough for SD" in rejected.value.message


@pytest.mark.parametrize(
    "bomb",
    [png_header_only(100_000, 100_000), jpeg_header_only(60_000, 60_000)],
    ids=["png-100000x100000", "jpeg-60000x60000"],
)
def test_pixel_bomb_is_refused_from_the_header(bomb: bytes) -> None:
    # Given a header claiming billions of pixels over (almost) no data: decoding would fail as corrupt
    started = time.perf_counter()
    # Then the header alone says image_too_large, at once
    assert _code_of(bomb) is ErrorCode.IMAGE_TOO_LARGE
    assert time.perf_counter() - started < 0.1


def test_pixel_limit_is_ours_to_set(jpeg: bytes) -> None:
    # Given an 800x600 photo (0.48 MP) and a 0.4 MP limit
    assert _code_of(jpeg, max_pixels=400_000) is ErrorCode.IMAGE_TOO_LARGE
    # And it goes through under a limit it meets
    assert normalize_image(jpeg, Quality.SD, max_pixels=480_000).size == (800, 600)


def test_limit_above_pillow_bomb_threshold_is_honoured() -> None:
    # Given a PNG just over Pillow's warning threshold (89 MP), under our 100 MP default: only a header
    data = png_header_only(10_000, 9_000)
    # Then it is not refused as too large (it fails later, as corrupt, because it has no pixels)
    assert _code_of(data) is ErrorCode.CORRUPT_IMAGE
