"""The demo's promises about its photos and outcomes: formats, orientation, sizes, and what counts as unexpected."""

from __future__ import annotations

import io

from PIL import Image

from skin_analysis.errors import ErrorCode
from skin_analysis.imaging.sniff import SourceFormat, sniff
from skin_analysis_local.demo.portraits import PORTRAITS, encode
from skin_analysis_local.demo.run import Upload, unexpected


def test_the_phone_jpeg_is_stored_on_its_side_with_exif_orientation_6() -> None:
    # Given the rotated phone portrait, When its bytes are sniffed as ingest sniffs them
    [phone] = [portrait for portrait in PORTRAITS if portrait.exif_orientation]
    data = encode(phone)
    sniffed = sniff(data)

    # Then it is a JPEG stored landscape (upright it is portrait) that tells viewers to turn it
    assert (sniffed.format, (sniffed.width, sniffed.height)) == (SourceFormat.JPEG, phone.size[::-1])
    assert phone.size[0] < phone.size[1]
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.getexif()[0x0112] == 6


def test_the_set_covers_heic_a_rotated_phone_jpeg_and_exactly_one_photo_too_small() -> None:
    # Given the demo's portraits, Then the cases the demo promises are all there
    assert {p.image_format for p in PORTRAITS} >= {"JPEG", "PNG", "WEBP", "HEIF"}
    assert [p.name for p in PORTRAITS if p.exif_orientation == 6] == ["ravi"]
    bad = [p for p in PORTRAITS if p.expected_error]
    assert [(p.expected_error, min(p.size) < 480) for p in bad] == [(ErrorCode.IMAGE_TOO_SMALL, True)]
    assert all(min(p.size) >= 480 for p in PORTRAITS if not p.expected_error)


def test_a_good_photo_that_failed_or_a_bad_photo_that_succeeded_is_unexpected() -> None:
    # Given one good and one bad portrait
    good, bad = PORTRAITS[0], next(p for p in PORTRAITS if p.expected_error)
    uploads = [Upload(good, "g"), Upload(bad, "b")]

    # Then the expected outcomes pass, and anything else (a failure, a wrong code, no item) is named
    assert (
        unexpected(uploads, {"g": {"status": "SUCCEEDED"}, "b": {"status": "FAILED", "error_code": "image_too_small"}})
        == []
    )
    assert unexpected(uploads, {"g": {"status": "FAILED", "error_code": "timeout"}, "b": {"status": "SUCCEEDED"}}) == [
        f"{good.filename}: FAILED timeout",
        f"{bad.filename}: SUCCEEDED",
    ]
    assert unexpected(uploads, {}) == [f"{good.filename}: no item", f"{bad.filename}: no item"]
