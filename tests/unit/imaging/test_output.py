"""The output: a JPEG of the policy's size, under the byte cap, without metadata; compliant JPEGs pass through."""

from __future__ import annotations

import pytest
from PIL import ExifTags, Image, ImageCms

from skin_analysis.errors import ErrorCode
from skin_analysis.imaging import ImageRejected, NormalizedImage, SourceFormat, Step, normalize_image
from skin_analysis.imaging.jpeg_segments import COM, strip_metadata
from skin_analysis.quality import Quality
from tests.unit.imaging.corpus import (
    XMP,
    decode,
    encode,
    exif_bytes,
    jpeg_with_all_metadata,
    photo,
    scan_data,
    segment_markers,
)

_APP1, _APP2, _APP11, _APP13 = 0xE1, 0xE2, 0xEB, 0xED
_SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _assert_no_metadata(result: NormalizedImage) -> None:
    markers = segment_markers(result.data)
    assert not {_APP1, _APP2, _APP11, _APP13, COM} & set(markers)
    for needle in (b"Exif", b"xmpmeta", b"Photoshop", b"8BIM", b"shot at home", b"TestCam", b"c2pa", b"ICC_PROFILE"):
        assert needle not in result.data
    image = decode(result.data)
    assert not image.getexif()
    assert not {"exif", "xmp", "photoshop", "comment", "icc_profile"} & set(image.info)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"], ids=["jpeg", "png", "webp", "heic"])
def test_each_accepted_format_becomes_a_policy_sized_jpeg(fmt: str) -> None:
    # Given a 2600x500 photo in each accepted format (small in pixels: HEIC encoding is slow)
    data = encode(photo((2600, 500)), fmt, quality=90)
    # When normalized for SD
    result = normalize_image(data, Quality.SD)
    # Then it is a JPEG 2560 px long, and says where it came from
    assert result.source_format is SourceFormat(fmt.lower())
    assert result.source_size == (2600, 500)
    assert result.size == (2560, 492)
    assert decode(result.data).format == "JPEG"
    assert decode(result.data).size == (2560, 492)
    assert (result.format, result.content_type) == ("jpeg", "image/jpeg")
    assert Step.RESIZED in result.steps
    assert result.steps[-1] is Step.ENCODED


def test_no_metadata_survives_a_re_encode() -> None:
    # Given a JPEG with EXIF (GPS), XMP, IPTC, a comment and APP11, which needs re-encoding (orientation 6)
    data = jpeg_with_all_metadata(photo((800, 600)), orientation=6)
    result = normalize_image(data, Quality.SD)
    assert Step.PASSED_THROUGH not in result.steps
    _assert_no_metadata(result)


def test_no_metadata_survives_a_pass_through() -> None:
    data = jpeg_with_all_metadata(photo((800, 600)), orientation=1)
    assert decode(data).getexif().get_ifd(ExifTags.IFD.GPSInfo), "the input must carry GPS"
    result = normalize_image(data, Quality.SD)
    assert result.steps == (Step.PASSED_THROUGH,)
    _assert_no_metadata(result)


def test_no_metadata_from_png_or_webp() -> None:
    png = encode(photo((800, 600)), "PNG", exif=exif_bytes(1, gps=True), pnginfo=_png_text())
    webp = encode(photo((800, 600)), "WEBP", exif=exif_bytes(1, gps=True), xmp=XMP)
    for data in (png, webp):
        _assert_no_metadata(normalize_image(data, Quality.SD))


def _png_text() -> object:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "shot at home")
    return info


@pytest.mark.parametrize("progressive", [False, True])
def test_pass_through_keeps_compressed_pixels_bit_identical(progressive: bool) -> None:
    # Given a compliant JPEG (sRGB, upright, 2560 px long side, HD-sized) full of metadata
    data = jpeg_with_all_metadata(photo((2560, 1440)), progressive=progressive)
    # When normalized
    result = normalize_image(data, Quality.HD)
    # Then nothing was decoded or re-encoded: the compressed scans are byte for byte the same
    assert result.steps == (Step.PASSED_THROUGH,)
    assert result.jpeg_quality is None
    assert scan_data(result.data) == scan_data(data)
    assert decode(result.data).tobytes() == decode(data).tobytes()
    assert result.size == (2560, 1440)
    assert len(result.data) < len(data)


def test_pass_through_drops_an_srgb_profile_like_the_re_encode_does() -> None:
    # Given a compliant JPEG tagged sRGB: untagged output is sRGB by convention, in both paths
    data = encode(photo((800, 600)), "JPEG", quality=90, icc_profile=_SRGB_ICC)
    result = normalize_image(data, Quality.SD)
    assert result.steps == (Step.PASSED_THROUGH,)
    assert "icc_profile" not in decode(result.data).info


def test_pass_through_drops_trailing_images() -> None:
    # Given a phone JPEG with a second image (depth or gain map) appended after the end marker
    primary = encode(photo((800, 600)), "JPEG", quality=90)
    trailing = encode(photo((200, 150)), "JPEG", exif=exif_bytes(1, gps=True))
    result = normalize_image(primary + trailing, Quality.SD)
    assert result.data == strip_metadata(primary)


@pytest.mark.parametrize(
    ("data_factory", "reason"),
    [
        (lambda: encode(photo((800, 600)), "JPEG", exif=exif_bytes(6)), "orientation"),
        (lambda: encode(photo((3000, 2000)), "JPEG"), "too big"),
        (lambda: encode(photo((800, 600), "CMYK"), "JPEG"), "CMYK"),
        (lambda: encode(photo((800, 600), "L"), "JPEG"), "greyscale"),
        (lambda: encode(photo((800, 600)), "PNG"), "not a JPEG"),
    ],
)
def test_non_compliant_uploads_are_re_encoded(data_factory: object, reason: str) -> None:
    assert callable(data_factory)
    result = normalize_image(data_factory(), Quality.SD)
    assert Step.PASSED_THROUGH not in result.steps, reason
    assert result.jpeg_quality is not None


def test_large_jpeg_is_dct_scaled_before_resampling() -> None:
    data = encode(photo((6000, 4000)), "JPEG", quality=85)
    result = normalize_image(data, Quality.HD)
    assert Step.DCT_SCALED in result.steps
    assert result.size == (2560, 1707)


def test_elongated_photo_keeps_the_minimum_short_side() -> None:
    data = encode(photo((1500, 5556)), "JPEG", quality=85)
    result = normalize_image(data, Quality.HD)
    assert result.size == (1080, 4000)


def _noise_png(side: int) -> bytes:
    return encode(Image.merge("RGB", [Image.effect_noise((side, side), 128) for _ in range(3)]), "PNG")


def test_output_stays_under_ten_megabytes() -> None:
    # Given the worst case for JPEG: 2560x2560 of pure noise, over 10 MB at the first quality
    result = normalize_image(_noise_png(2560), Quality.HD)
    assert len(result.data) < 10_000_000
    assert Step.QUALITY_LOWERED in result.steps


def test_quality_is_lowered_step_by_step_to_fit_the_cap() -> None:
    data = _noise_png(800)
    first = normalize_image(data, Quality.SD)
    capped = normalize_image(data, Quality.SD, max_output_bytes=len(first.data) * 2 // 3)
    assert capped.jpeg_quality is not None
    assert first.jpeg_quality is not None
    assert capped.jpeg_quality < first.jpeg_quality
    assert len(capped.data) < len(first.data) * 2 // 3


def test_output_that_cannot_fit_the_cap_is_too_large() -> None:
    with pytest.raises(ImageRejected) as rejected:
        normalize_image(_noise_png(800), Quality.SD, max_output_bytes=5_000)
    assert rejected.value.code is ErrorCode.IMAGE_TOO_LARGE


def test_oversized_upload_is_not_passed_through() -> None:
    # Given a compliant JPEG over a (lowered) byte cap: it is re-encoded, not passed through
    data = encode(photo((800, 600)), "JPEG", quality=98)
    result = normalize_image(data, Quality.SD, max_output_bytes=len(data))
    assert Step.PASSED_THROUGH not in result.steps
    assert len(result.data) < len(data)


def test_output_is_plain_srgb_rgb() -> None:
    image = decode(normalize_image(encode(photo((800, 600), "L"), "PNG"), Quality.SD).data)
    assert image.mode == "RGB"
