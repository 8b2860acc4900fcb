"""The size policy as a pure function of width, height and quality."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skin_analysis.errors import ErrorCode
from skin_analysis.imaging import DEFAULT_MAX_PIXELS, ImageTooLarge, ImageTooSmall, plan_size
from skin_analysis.imaging.policy import MAX_LONG_SIDE, check_pixel_limit
from skin_analysis.quality import Quality

sides = st.integers(min_value=1, max_value=40_000)
qualities = st.sampled_from(Quality)


@given(sides, sides, qualities)
def test_plan_obeys_every_rule_or_refuses_as_too_small(width: int, height: int, quality: Quality) -> None:
    # Given any photo size and quality
    minimum = quality.min_short_side
    if min(width, height) < minimum:
        # Then a photo below the minimum is refused with image_too_small
        with pytest.raises(ImageTooSmall) as refused:
            plan_size(width, height, quality)
        assert refused.value.code is ErrorCode.IMAGE_TOO_SMALL
        return
    # When it is planned
    out_w, out_h = plan_size(width, height, quality)
    # Then it is never upscaled, keeps its orientation and aspect, and meets the short-side minimum
    assert out_w <= width
    assert out_h <= height
    assert (out_w >= out_h) == (width >= height)
    assert min(out_w, out_h) >= minimum
    # (one side is exact, the other rounded by at most half a pixel)
    assert abs(out_w * height - out_h * width) <= max(width, height) / 2
    # And the long side is 2560 at most, unless that would push the short side below the minimum
    if max(out_w, out_h) > MAX_LONG_SIDE:
        assert min(out_w, out_h) == minimum
    # And a photo that already fits is left alone
    if max(width, height) <= MAX_LONG_SIDE:
        assert (out_w, out_h) == (width, height)


@given(sides, sides, qualities)
def test_plan_is_symmetric_and_idempotent(width: int, height: int, quality: Quality) -> None:
    # Given a photo big enough for its quality
    if min(width, height) < quality.min_short_side:
        return
    # When planned, rotated and re-planned
    planned = plan_size(width, height, quality)
    # Then a rotated photo gets the rotated plan, and a planned size needs no further change
    assert plan_size(height, width, quality) == planned[::-1]
    assert plan_size(*planned, quality) == planned


@pytest.mark.parametrize(
    ("size", "quality", "expected"),
    [
        ((4032, 3024), Quality.HD, (2560, 1920)),
        ((3024, 4032), Quality.SD, (1920, 2560)),
        ((8064, 6048), Quality.HD, (2560, 1920)),
        ((2560, 1080), Quality.HD, (2560, 1080)),
        ((1080, 1080), Quality.HD, (1080, 1080)),
        # Elongated: 2560 on the long side would leave 691 px; the short side keeps its 1080 minimum instead.
        ((1500, 5556), Quality.HD, (1080, 4000)),
        ((480, 4000), Quality.SD, (480, 4000)),
    ],
)
def test_plan_examples(size: tuple[int, int], quality: Quality, expected: tuple[int, int]) -> None:
    assert plan_size(*size, quality) == expected


def test_hd_photo_big_enough_for_sd_says_so() -> None:
    # Given a 900 px photo, too small for HD but fine for SD
    with pytest.raises(ImageTooSmall) as refused:
        plan_size(1200, 900, Quality.HD)
    # Then the message points the user to SD
    assert "1080" in refused.value.message
    assert "big enough for SD" in refused.value.message


def test_photo_too_small_for_sd_does_not_suggest_sd() -> None:
    with pytest.raises(ImageTooSmall) as refused:
        plan_size(400, 300, Quality.HD)
    assert "big enough for SD" not in refused.value.message


@given(st.integers(1, 200_000), st.integers(1, 200_000))
def test_pixel_limit(width: int, height: int) -> None:
    if width * height > DEFAULT_MAX_PIXELS:
        with pytest.raises(ImageTooLarge):
            check_pixel_limit(width, height)
    else:
        check_pixel_limit(width, height)
