"""JPEG marker segments: read the frame header, and strip metadata without touching the compressed pixels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skin_analysis.imaging.errors import CorruptImage

if TYPE_CHECKING:
    from collections.abc import Iterator

SOI, EOI, SOS, COM = 0xD8, 0xD9, 0xDA, 0xFE
APP0, APP14, APP15 = 0xE0, 0xEE, 0xEF
_MARKER_PREFIX = 0xFF
_DAMAGED = "The JPEG file is truncated or damaged."

# Start-of-frame markers; C4 (DHT), C8 (JPG extension) and CC (DAC) share the range but are not frames.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Huffman-coded baseline, extended and progressive: what every decoder reads (arithmetic coding is not).
HUFFMAN_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2})
# Markers without a length field: TEM and the restart markers.
_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})
# Inside entropy-coded data 0xFF is always followed by 0x00 (stuffing), a restart marker or a fill byte, so
# the first 0xFF followed by anything else is the next real marker. Searched in C: a 3 MB scan in a millisecond.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
# APPn segments a decoder needs: JFIF (APP0) and Adobe (APP14, its transform flag says YCbCr or RGB/CMYK).
_KEPT_APP_SIGNATURES = {APP0: b"JFIF\x00", APP14: b"Adobe"}


@dataclass(frozen=True, slots=True)
class Segment:
    """One marker segment: `data[start:end]`, marker included; a scan's segment runs to the next marker."""

    marker: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class JpegFrame:
    """What the start-of-frame header says: dimensions, the SOF marker (coding process) and components."""

    width: int
    height: int
    sof_marker: int
    components: int


def iter_segments(data: bytes) -> Iterator[Segment]:
    """Yield every segment from SOI to EOI; raise `CorruptImage` on a malformed or truncated stream."""
    if not data.startswith(b"\xff\xd8"):
        raise CorruptImage("The JPEG file does not start with a JPEG header.")
    yield Segment(SOI, 0, 2)
    pos = 2
    while True:
        pos, marker = _marker_at(data, pos)
        if marker == EOI:
            yield Segment(EOI, pos, pos + 2)
            return
        if marker in _STANDALONE_MARKERS:
            end = pos + 2
        else:
            length = int.from_bytes(data[pos + 2 : pos + 4])
            end = pos + 2 + length
            if length < 2 or end > len(data):  # noqa: PLR2004  (the length field counts its own two bytes)
                raise CorruptImage(_DAMAGED)
            if marker == SOS:
                found = _NEXT_MARKER.search(data, end)
                if found is None:
                    raise CorruptImage("The JPEG file is truncated: its image data ends before the end marker.")
                end = found.start()
        yield Segment(marker, pos, end)
        pos = end


def _marker_at(data: bytes, pos: int) -> tuple[int, int]:
    """The position and code of the marker at `pos`, after any fill bytes."""
    if pos + 2 > len(data) or data[pos] != _MARKER_PREFIX:
        raise CorruptImage(_DAMAGED)
    while data[pos + 1] == _MARKER_PREFIX:  # fill bytes may pad before any marker
        pos += 1
        if pos + 2 > len(data):
            raise CorruptImage(_DAMAGED)
    return pos, data[pos + 1]


def read_frame(data: bytes) -> JpegFrame:
    """Read the frame header without scanning the image data; raise `CorruptImage` if there is none."""
    for segment in iter_segments(data):
        if segment.marker in _SOF_MARKERS:
            body = data[segment.start + 4 : segment.end]
            if len(body) < 6:  # noqa: PLR2004  (precision, height, width, component count)
                break
            height, width = int.from_bytes(body[1:3]), int.from_bytes(body[3:5])
            if width == 0 or height == 0:
                break
            return JpegFrame(width, height, segment.marker, body[5])
        if segment.marker == SOS:
            break
    raise CorruptImage("The JPEG file has no valid frame header.")


def strip_metadata(data: bytes) -> bytes:
    """Copy the JPEG keeping only what decoding needs; the compressed pixel data is copied byte for byte.

    Kept: the tables, frame and scan headers, scans, restart markers, JFIF (APP0) and Adobe (APP14).
    Dropped: every other APPn (EXIF and XMP in APP1, where GPS lives; ICC and MPF in APP2; IPTC in APP13;
    vendor and C2PA segments), COM, and anything after EOI (phones append depth and gain-map images there).
    """
    view = memoryview(data)
    return b"".join(view[s.start : s.end] for s in iter_segments(data) if _is_kept(data, s))


def _is_kept(data: bytes, segment: Segment) -> bool:
    if segment.marker == COM:
        return False
    if APP0 <= segment.marker <= APP15:
        signature = _KEPT_APP_SIGNATURES.get(segment.marker)
        return signature is not None and data.startswith(signature, segment.start + 4)
    return True
