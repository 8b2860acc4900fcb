"""Tell the real image type from the bytes, and read its dimensions from the header without decoding."""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

from skin_analysis.imaging.errors import CorruptImage, UnsupportedFormat
from skin_analysis.imaging.jpeg_segments import read_frame

if TYPE_CHECKING:
    from types import ModuleType


class SourceFormat(StrEnum):
    """The upload formats we accept; the value goes into logs and metrics."""

    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    HEIF = "heif"

    @property
    def pillow_format(self) -> str:
        """The name Pillow registers the format under, so `Image.open` tries that plugin only."""
        return self.value.upper()


@dataclass(frozen=True, slots=True)
class Sniffed:
    """The format the bytes really are and the dimensions their header claims."""

    format: SourceFormat
    width: int
    height: int


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
# ISO-BMFF brands of HEVC-coded HEIF. `mif1`/`msf1` alone say "some HEIF", which may hold AV1 (AVIF) or JPEG.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
# Formats people upload by mistake, named in the message so the user knows what we saw.
_KNOWN_UNSUPPORTED = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
)
_ACCEPTED = "Upload a JPEG, PNG, WebP or HEIC photo."
_TRUNCATED_HEADER = "The file is truncated: its image header is incomplete."


def sniff(data: bytes) -> Sniffed:
    """Identify the format from magic bytes and read the header's dimensions; raise `ImageRejected` if not."""
    fmt = _detect(data)
    width, height = _HEADER_READERS[fmt](data)
    return Sniffed(fmt, width, height)


def _detect(data: bytes) -> SourceFormat:
    if not data:
        raise CorruptImage("The file is empty.")
    if data.startswith(_JPEG_SIGNATURE):
        return SourceFormat.JPEG
    if data.startswith(_PNG_SIGNATURE):
        return SourceFormat.PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return SourceFormat.WEBP
    if data[4:8] == b"ftyp":
        if _is_heic(data):
            return SourceFormat.HEIF
        brand = data[8:12].decode("ascii", "replace").strip()
        raise UnsupportedFormat(f"This ISO media file (brand {brand!r}) is not a HEIC photo. {_ACCEPTED}")
    # A file cut short inside a signature is a broken upload of a format we accept, not another format.
    if any(signature.startswith(data) for signature in (_JPEG_SIGNATURE, _PNG_SIGNATURE, b"RIFF")):
        raise CorruptImage(_TRUNCATED_HEADER)
    for signature, name in _KNOWN_UNSUPPORTED:
        if data.startswith(signature):
            raise UnsupportedFormat(f"{name} files are not supported. {_ACCEPTED}")
    raise UnsupportedFormat(f"The file is not an image we can read. {_ACCEPTED}")


def _is_heic(data: bytes) -> bool:
    box_size = int.from_bytes(data[:4])
    brands = data[8:12], *(data[i : i + 4] for i in range(16, min(box_size, len(data)) - 3, 4))
    return any(brand in _HEIC_BRANDS for brand in brands)


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":  # noqa: PLR2004  (signature, chunk length and type, 2 x u32)
        raise CorruptImage(_TRUNCATED_HEADER)
    return int.from_bytes(data[16:20]), int.from_bytes(data[20:24])


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk, body = data[12:16], data[20:30]
    if chunk == b"VP8X" and len(body) >= 10:  # noqa: PLR2004  (flags, reserved, two 24-bit sizes)
        return int.from_bytes(body[4:7], "little") + 1, int.from_bytes(body[7:10], "little") + 1
    if chunk == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":  # noqa: PLR2004
        return int.from_bytes(body[6:8], "little") & 0x3FFF, int.from_bytes(body[8:10], "little") & 0x3FFF
    if chunk == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:  # noqa: PLR2004
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    raise CorruptImage("The WebP file's header is truncated or damaged.")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    frame = read_frame(data)
    return frame.width, frame.height


def _heif_size(data: bytes) -> tuple[int, int]:
    pillow_heif = heif_support()
    try:
        # Reads the container only; pixels are decoded later, and only if this size passes our limit.
        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
        width, height = heif.size
    except (ValueError, RuntimeError, OSError, IndexError) as error:
        raise CorruptImage("The HEIC file is truncated or damaged.") from error
    return int(width), int(height)


@cache
def heif_support() -> ModuleType:
    """Import pillow-heif and register its Pillow opener, once and only when a HEIC upload needs it."""
    import pillow_heif  # noqa: PLC0415  (a large native library most uploads never need: kept off cold start)

    pillow_heif.register_heif_opener()
    return pillow_heif


_HEADER_READERS = {
    SourceFormat.JPEG: _jpeg_size,
    SourceFormat.PNG: _png_size,
    SourceFormat.WEBP: _webp_size,
    SourceFormat.HEIF: _heif_size,
}
