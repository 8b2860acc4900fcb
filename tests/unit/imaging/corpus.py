"""The test corpus, generated on the fly: every input class the normalizer must handle, no binary fixtures."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from PIL import ExifTags, Image, ImageDraw, ImageFilter

from skin_analysis.imaging.jpeg_segments import EOI, SOS, iter_segments
from skin_analysis.imaging.sniff import heif_support

RED, BLUE, GREEN = (220, 30, 40), (30, 40, 220), (40, 200, 60)
GPS = {1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 0.0)}
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>GPSLatitude 52,22.1N</rdf:RDF></x:xmpmeta>'
IPTC_APP13 = (
    b"\xff\xed" + struct.pack(">H", 2 + 14 + 12) + b"Photoshop 3.0\x00" + b"8BIM\x04\x04\x00\x00\x00\x00\x00\x00"
)
VENDOR_APP11 = b"\xff\xeb" + struct.pack(">H", 2 + 10) + b"JP\x00\x00c2pa!!"


def photo(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Photo-like content: smooth gradients plus texture, so JPEG sizes and resampling behave as on photos."""
    width, height = size
    base = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize(size),
            Image.radial_gradient("L").resize(size),
            Image.linear_gradient("L").rotate(90).resize(size),
        ),
    )
    # Fine grain over coarser blotches, like skin and fabric under a phone's noise reduction
    grain = Image.effect_noise(size, 64).filter(ImageFilter.GaussianBlur(0.6))
    blotches = Image.effect_noise(size, 96).filter(ImageFilter.GaussianBlur(3))
    texture = Image.merge("RGB", (grain, blotches, Image.blend(grain, blotches, 0.5)))
    content = Image.blend(base, texture, 0.4)
    ImageDraw.Draw(content).ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=(200, 150, 130))
    return content.convert(mode)


def exif_bytes(orientation: int | None = None, *, gps: bool = False) -> bytes:
    """An EXIF block with the given orientation tag and optionally a GPS position."""
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[ExifTags.IFD.GPSInfo] = GPS
    exif[ExifTags.Base.Make] = "TestCam"
    return exif.tobytes()


def encode(image: Image.Image, fmt: str, **params: Any) -> bytes:
    """Save `image` in `fmt` and return the bytes."""
    if fmt == "HEIF":
        heif_support()
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def jpeg_with_all_metadata(image: Image.Image, orientation: int = 1, jpeg_quality: int = 92, **params: Any) -> bytes:
    """A JPEG carrying EXIF with GPS, XMP, IPTC, a comment and a vendor APP11 segment."""
    return encode(
        image,
        "JPEG",
        quality=jpeg_quality,
        exif=exif_bytes(orientation, gps=True),
        xmp=XMP,
        comment=b"shot at home",
        extra=IPTC_APP13 + VENDOR_APP11,
        **params,
    )


def marked(size: tuple[int, int], block: int) -> Image.Image:
    """Grey image with a red block at the top-left and a blue one at the top-right corner."""
    image = Image.new("RGB", size, (128, 128, 128))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, block - 1, block - 1), fill=RED)
    draw.rectangle((size[0] - block, 0, size[0] - 1, block - 1), fill=BLUE)
    return image


def animated(fmt: str, size: tuple[int, int], colours: tuple[tuple[int, int, int], ...]) -> bytes:
    """An animation whose frames are flat colours, first frame first."""
    frames = [Image.new("RGB", size, colour) for colour in colours]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` but holds no image data: decoding it would fail."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b"")


def png_with_bad_data(width: int, height: int) -> bytes:
    """A PNG with a valid header and image data that is not zlib."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", b"not zlib at all" * 20)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_header_only(width: int, height: int) -> bytes:
    """A JPEG whose frame header claims `width` x `height` and which stops right after it."""
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + sof


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def segment_markers(jpeg: bytes) -> list[int]:
    """Marker codes of a JPEG's segments, in order (scan data skipped)."""
    return [segment.marker for segment in iter_segments(jpeg)]


def scan_data(jpeg: bytes) -> bytes:
    """Everything from the first start-of-scan to the end marker: the compressed pixels."""
    segments = list(iter_segments(jpeg))
    first_scan = next(s for s in segments if s.marker == SOS)
    end = next(s for s in segments if s.marker == EOI)
    return jpeg[first_scan.start : end.end]


def decode(data: bytes) -> Image.Image:
    """Fully decode bytes with Pillow."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
