"""JPEGs at least twice the output size decode smaller inside libjpeg's IDCT, at exactly the size libjpeg makes."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from PIL.JpegImagePlugin import JpegImageFile

from skin_analysis.imaging import dct_scaling
from skin_analysis.imaging.dct_scaling import scale_for_decoding
from tests.unit.imaging.corpus import BLUE, RED, encode, marked


def _open(size: tuple[int, int], **params: object) -> JpegImageFile:
    image = Image.open(io.BytesIO(encode(marked(size, 64), "JPEG", quality=90, **params)))
    assert isinstance(image, JpegImageFile)
    return image


@pytest.mark.parametrize(
    ("size", "target", "scaled", "box"),
    [
        ((8064, 6048), (2560, 1920), (3024, 2268), (3024.0, 2268.0)),  # 48 MP phone photo: 3/8, not 1/2
        ((8063, 6047), (2560, 1920), (3024, 2268), (3023.625, 2267.625)),  # odd sides round up, as in libjpeg
        ((6000, 4000), (2560, 1707), (3000, 2000), (3000.0, 2000.0)),  # 3/8 would be too small: 1/2
        ((8000, 6000), (2000, 1500), (2000, 1500), (2000.0, 1500.0)),  # exactly 1/4
        ((8000, 6000), (1000, 750), (1000, 750), (1000.0, 750.0)),  # exactly 1/8
    ],
)
def test_smallest_scale_that_covers_the_target(
    size: tuple[int, int], target: tuple[int, int], scaled: tuple[int, int], box: tuple[float, float]
) -> None:
    # Given an unloaded JPEG, When it is scaled for decoding to the target and loaded
    image = _open(size)
    assert scale_for_decoding(image, target) == (0.0, 0.0, *box)
    image.load()
    # Then it decodes at the scaled size, the markers still in their corners
    assert image.size == scaled
    assert image.getpixel((4, 4)) == pytest.approx(RED, abs=12)
    assert image.getpixel((scaled[0] - 5, 4)) == pytest.approx(BLUE, abs=12)


@pytest.mark.parametrize(("size", "target"), [((4032, 3024), (2560, 1920)), ((5000, 3000), (2560, 1536))])
def test_less_than_twice_the_target_decodes_at_full_size(size: tuple[int, int], target: tuple[int, int]) -> None:
    image = _open(size)
    assert scale_for_decoding(image, target) is None
    image.load()
    assert image.size == size


def test_libjpeg_without_three_eighths_uses_half(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a Pillow built on IJG libjpeg, which scales by powers of two only
    monkeypatch.setattr(dct_scaling, "supported_eighths", lambda: (1, 2, 4))
    image = _open((8064, 6048))
    assert scale_for_decoding(image, (2560, 1920)) == (0.0, 0.0, 4032.0, 3024.0)
    image.load()
    assert image.size == (4032, 3024)


@pytest.mark.parametrize("params", [{"progressive": True}, {"subsampling": 0}, {"restart_marker_blocks": 1}])
def test_coding_variants_decode_at_the_scaled_size(params: dict[str, object]) -> None:
    image = _open((7000, 5000), **params)
    assert scale_for_decoding(image, (2560, 1829)) is not None
    image.load()
    assert image.size == (2625, 1875)


def test_an_image_already_loaded_is_left_alone() -> None:
    image = _open((2000, 1500))
    image.load()
    assert scale_for_decoding(image, (500, 375)) is None
    assert image.size == (2000, 1500)
