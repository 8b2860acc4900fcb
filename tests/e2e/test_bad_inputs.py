"""The bad-input corpus end to end: every odd upload through S3, ingest, the provider and the results bucket.

Generated here (no binary fixtures), uploaded all at once and awaited together. Each gets its documented outcome
(docs/imaging.md): normalized to an upright, metadata-free sRGB JPEG and analysed, or FAILED with its code. No
metadata (EXIF with GPS, XMP, IPTC, comments, trailers) reaches the results bucket or the provider: the
simulator scores the sha256 of the bytes it fetched, which must be the stored normalized.jpg's.
Empty, truncated, GIF, text, 1x1 and decompression bombs are in tests/e2e/test_pipeline.py.
"""

from __future__ import annotations

import hashlib
import io
import struct
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image, ImageDraw

from skin_analysis.imaging.jpeg_segments import COM
from tests.e2e.invariants import Outcome, assert_invariants, observe
from tests.unit.imaging.corpus import (
    BLUE,
    RED,
    XMP,
    animated,
    encode,
    exif_bytes,
    jpeg_with_all_metadata,
    photo,
    segment_markers,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.e2e.pipeline import Pipeline
    from tests.e2e.stack import RunningStack

SUCCEEDED = "SUCCEEDED"
# What identifies metadata in a JPEG's bytes: EXIF, XMP (where GPS also lives), IPTC, ICC, our comments and trailers
_METADATA_NEEDLES = (b"Exif", b"xmpmeta", b"GPSLatitude", b"Photoshop", b"8BIM", b"TestCam", b"ICC_PROFILE")
_APP1, _APP2, _APP11, _APP13 = 0xE1, 0xE2, 0xEB, 0xED
_SECRET_COMMENT = b"<script>alert('polyglot')</script>"
_ZIP_TRAILER = b"PK\x03\x04" + b"\x00" * 26 + b"payload.txt" + b"smuggled"

# EXIF orientation -> the transpose that stores an upright image so that orientation displays it upright
_STORED_AS = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}
_UPRIGHT = (480, 640)  # portrait, as phones shoot it; the SD minimum short side


@dataclass(frozen=True)
class Case:
    """One kind of upload and what must come of it."""

    build: Callable[[], bytes]
    key_suffix: str
    error_code: str | None = None  # None: SUCCEEDED
    size: tuple[int, int] = (640, 480)  # the normalized photo's upright size
    upright: bool = False  # the red corner block must end top-left

    @property
    def status(self) -> str:
        return SUCCEEDED if self.error_code is None else "FAILED"


def _unique(image: Image.Image) -> Image.Image:
    """Make the photo unique: the simulator counts tasks by image hash, so no two cases may share bytes."""
    seed = hashlib.sha256(uuid.uuid4().bytes).digest()
    image.putpixel((image.width // 2, image.height // 2), (seed[0], seed[1], seed[2]))
    return image


def _upright_marked() -> Image.Image:
    """A portrait photo with a red block top-left and a blue block top-right, as it should be displayed."""
    image = photo(_UPRIGHT)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 79, 79), fill=RED)
    draw.rectangle((_UPRIGHT[0] - 80, 0, _UPRIGHT[0] - 1, 79), fill=BLUE)
    return _unique(image)


def _oriented(orientation: int) -> bytes:
    """A phone JPEG stored sideways/flipped with its EXIF orientation, GPS in EXIF and XMP, IPTC, a comment."""
    transpose = _STORED_AS[orientation]
    upright = _upright_marked()
    return jpeg_with_all_metadata(upright if transpose is None else upright.transpose(transpose), orientation)


def _jpeg_or_png(fmt: str) -> Callable[[], bytes]:
    return lambda: encode(_unique(photo((640, 480))), fmt)


def _huge_metadata() -> bytes:
    """About 4 MB of metadata (EXIF with GPS, XMP, 60 comment segments) around a small photo."""
    comment = b"\xff\xfe" + struct.pack(">H", 65_000 + 2) + b"c" * 65_000
    return encode(
        _unique(photo((640, 480))), "JPEG", quality=90, exif=exif_bytes(1, gps=True), xmp=XMP, extra=comment * 60
    )


def _polyglot_jpeg_zip() -> bytes:
    """A JPEG that is also a ZIP (archive after the end marker) and carries HTML in a comment."""
    return encode(_unique(photo((640, 480))), "JPEG", quality=90, comment=_SECRET_COMMENT) + _ZIP_TRAILER


def _pdf_jpeg_polyglot() -> bytes:
    """A PDF header in front of a whole JPEG: a PDF to the sniffer, whatever follows."""
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + encode(_unique(photo((640, 480))), "JPEG")


def _png_with_gps() -> bytes:
    image = _unique(photo((640, 480)))
    return encode(image, "PNG", exif=exif_bytes(1, gps=True), pnginfo=_xmp_png_text())


def _xmp_png_text() -> Any:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    return info


def _cmyk_jpeg() -> bytes:
    return encode(_unique(photo((640, 480))).convert("CMYK"), "JPEG", quality=90)


def _sixteen_bit_png() -> bytes:
    grey = _unique(photo((640, 480))).convert("L")
    return encode(grey.point(lambda value: value * 257, "I").convert("I;16"), "PNG")


def _palette_alpha_png() -> bytes:
    image = _unique(photo((640, 480))).convert("P", palette=Image.Palette.WEB)
    return encode(image, "PNG", transparency=0)


def _animated(fmt: str) -> bytes:
    seed = hashlib.sha256(uuid.uuid4().bytes).digest()
    return animated(fmt, (640, 480), ((seed[0], 120, 100), (10, 200, 30), (30, 40, 220)))


CASES: dict[str, Case] = {
    "png named .jpg": Case(_jpeg_or_png("PNG"), ".jpg"),
    "jpeg with no extension": Case(_jpeg_or_png("JPEG"), ""),
    "jpeg+zip polyglot": Case(_polyglot_jpeg_zip, ".jpg"),
    "pdf+jpeg polyglot": Case(_pdf_jpeg_polyglot, ".jpg", "unsupported_format"),
    "100000x1": Case(lambda: encode(Image.new("RGB", (100_000, 1)), "PNG"), ".png", "image_too_small"),
    "cmyk": Case(_cmyk_jpeg, ".jpg"),
    "16-bit grey": Case(_sixteen_bit_png, ".png"),
    "palette + alpha": Case(_palette_alpha_png, ".png"),
    "animated webp": Case(lambda: _animated("WEBP"), ".webp"),
    "animated png": Case(lambda: _animated("PNG"), ".png"),
    "heic": Case(lambda: encode(_unique(photo((640, 480))), "HEIF", quality=30), ".heic"),
    "huge metadata": Case(_huge_metadata, ".jpg"),
    "png with gps in exif and xmp": Case(_png_with_gps, ".png"),
    **{
        f"exif orientation {o}": Case(lambda o=o: _oriented(o), ".jpg", size=_UPRIGHT, upright=True)  # type: ignore[misc]
        for o in _STORED_AS
    },
}


@pytest.fixture(scope="module")
def pipeline(second_stack: RunningStack) -> Pipeline:
    """The second stack: its larger rate budget lets the whole corpus run at once (no fault is injected)."""
    return observe(second_stack)


@pytest.fixture(scope="module")
def outcomes(pipeline: Pipeline, second_stack: RunningStack) -> dict[str, Outcome]:
    """Every case generated and uploaded at once, awaited together, checked against the invariants."""

    def upload(name: str) -> str:
        case = CASES[name]
        return pipeline.upload(case.build(), f"incoming/e2e/corpus/{uuid.uuid4().hex[:8]} {name}{case.key_suffix}")

    with ThreadPoolExecutor(4) as pool:
        ids = dict(zip(CASES, pool.map(upload, CASES), strict=True))
    ended = assert_invariants(pipeline, ids.values(), machine_arn=second_stack.outputs["StateMachineArn"], timeout=150)
    return {name: ended[analysis_id] for name, analysis_id in ids.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_each_bad_input_gets_its_documented_outcome(name: str, outcomes: dict[str, Outcome]) -> None:
    # Given the upload `name` ran through the pipeline with the rest of the corpus
    case, outcome = CASES[name], outcomes[name]
    # Then it ends as documented in docs/imaging.md
    assert (outcome.status, outcome.error_code) == (case.status, case.error_code), outcome.item.get("error_message")


def _normalized(pipeline: Pipeline, outcome: Outcome) -> bytes:
    body = pipeline.s3.get_object(Bucket=pipeline.info["results_bucket"], Key=outcome.item["normalized_key"]["S"])
    data: bytes = body["Body"].read()
    return data


def _assert_bare_jpeg(data: bytes) -> None:
    assert not {_APP1, _APP2, _APP11, _APP13, COM} & set(segment_markers(data))
    for needle in (*_METADATA_NEEDLES, _SECRET_COMMENT, b"PK\x03\x04", b"smuggled"):
        assert needle not in data, needle
    assert data.endswith(b"\xff\xd9"), "nothing may follow the end marker"


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.status == SUCCEEDED])
def test_no_metadata_reaches_the_results_bucket_or_the_provider(
    name: str, pipeline: Pipeline, outcomes: dict[str, Outcome]
) -> None:
    case, outcome = CASES[name], outcomes[name]
    # Given the normalized photo stored for the analysis
    data = _normalized(pipeline, outcome)
    # Then it is a bare JPEG of the documented size, upright
    _assert_bare_jpeg(data)
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.size) == ("JPEG", case.size)
    if case.upright:
        assert _close(image.convert("RGB").getpixel((20, 20)), RED)
        assert _close(image.convert("RGB").getpixel((image.width - 20, 20)), BLUE)
    # And it is exactly what the provider fetched and analysed (one task for these bytes)
    assert pipeline.simulator.tasks_by_source().get(hashlib.sha256(data).hexdigest()) == 1


def _close(pixel: Any, colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(int(got) - want) <= tolerance for got, want in zip(pixel, colour, strict=True))
