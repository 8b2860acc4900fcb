"""Colour science for the tests: RGB spaces from their primaries, CIELAB, ΔE, and ICC profiles built by hand.

Pillow's `ImageCms.createProfile` makes only sRGB, Lab and XYZ, so the Display P3, Adobe RGB and CMYK profiles
the tests embed are written here byte by byte (ICC.1:2001-04, version 2.1), from the published primaries.
The tests encode a known sRGB colour into those spaces with the maths below, independently of lcms, so a
passing test shows the pipeline really converted the colours.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

type Matrix = tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]
type Vector = tuple[float, float, float]

D65 = (0.3127, 0.3290)
D50_XYZ: Vector = (0.9642, 1.0, 0.8249)
_BRADFORD: Matrix = ((0.8951, 0.2664, -0.1614), (-0.7502, 1.7135, 0.0367), (0.0389, -0.0685, 1.0296))


def srgb_decode(v: float) -> float:
    """sRGB transfer function, encoded (0-1) to linear."""
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def srgb_encode(v: float) -> float:
    """sRGB transfer function, linear to encoded (0-1)."""
    return v * 12.92 if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055


@dataclass(frozen=True)
class RgbSpace:
    """An RGB colour space: primaries, white point and transfer functions."""

    name: str
    primaries: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    decode: Callable[[float], float]
    encode: Callable[[float], float]
    gamma: float | None  # a pure power law, written as one value in the profile; None: the sRGB curve

    def to_xyz(self) -> Matrix:
        """Linear RGB → XYZ (D65, Y of white = 1)."""
        columns = [_xy_to_xyz(*xy) for xy in self.primaries]
        m: Matrix = _transpose((columns[0], columns[1], columns[2]))
        scale = _apply(_inverse(m), _xy_to_xyz(*D65))
        return _transpose(tuple(tuple(c * s for c in col) for col, s in zip(columns, scale, strict=True)))  # type: ignore[arg-type]


SRGB = RgbSpace("sRGB", ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06)), srgb_decode, srgb_encode, None)
DISPLAY_P3 = RgbSpace("Display P3", ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)), srgb_decode, srgb_encode, None)
ADOBE_GAMMA = 563 / 256
ADOBE_RGB = RgbSpace(
    "Adobe RGB (1998)",
    ((0.64, 0.33), (0.21, 0.71), (0.15, 0.06)),
    lambda v: v**ADOBE_GAMMA,
    lambda v: v ** (1 / ADOBE_GAMMA),
    ADOBE_GAMMA,
)


def convert(rgb: Sequence[int], source: RgbSpace, target: RgbSpace) -> tuple[int, int, int]:
    """Re-express an 8-bit colour of `source` in `target` (both D65, so no adaptation)."""
    linear = tuple(source.decode(c / 255) for c in rgb)
    xyz = _apply(source.to_xyz(), linear)  # type: ignore[arg-type]
    out = _apply(_inverse(target.to_xyz()), xyz)
    return tuple(round(255 * target.encode(min(1.0, max(0.0, c)))) for c in out)  # type: ignore[return-value]


def srgb_to_lab(rgb: Sequence[int]) -> Vector:
    """CIELAB (D65 reference white) of an 8-bit sRGB colour."""
    xyz = _apply(SRGB.to_xyz(), tuple(srgb_decode(c / 255) for c in rgb))  # type: ignore[arg-type]
    white = _xy_to_xyz(*D65)
    return _lab(xyz, white)


def delta_e(a: Sequence[int], b: Sequence[int]) -> float:
    """CIE76 colour difference between two 8-bit sRGB colours (about 2.3 is just noticeable)."""
    la, lb = srgb_to_lab(a), srgb_to_lab(b)
    return float(sum((x - y) ** 2 for x, y in zip(la, lb, strict=True)) ** 0.5)


def rgb_profile(space: RgbSpace) -> bytes:
    """A matrix/TRC display profile for `space`, its colorants adapted to the D50 PCS with Bradford."""
    d50_matrix = _matmul(_adaptation(_xy_to_xyz(*D65), D50_XYZ), space.to_xyz())
    columns = _transpose(d50_matrix)
    curve = _gamma_curve(space.gamma) if space.gamma else _table_curve(space.decode)
    tags = {
        b"desc": _desc(space.name),
        b"cprt": _text("No copyright, test profile"),
        b"wtpt": _xyz(D50_XYZ),
        b"rXYZ": _xyz(columns[0]),
        b"gXYZ": _xyz(columns[1]),
        b"bXYZ": _xyz(columns[2]),
        b"rTRC": curve,
        b"gTRC": curve,
        b"bTRC": curve,
    }
    return _profile(b"mntr", b"RGB ", b"XYZ ", tags)


def cmyk_profile(corner_srgb: Callable[[int, int, int, int], tuple[int, int, int]]) -> bytes:
    """A CMYK output profile whose A2B0 maps each ink corner (0 or 100%) to `corner_srgb`, linear in between."""
    clut = bytearray()
    # CLUT order: the first input channel (C) varies slowest.
    for c in (0, 1):
        for m in (0, 1):
            for y in (0, 1):
                for k in (0, 1):
                    lab = _srgb_to_lab_d50(corner_srgb(c, m, y, k))
                    clut += bytes((round(lab[0] * 255 / 100), round(lab[1] + 128), round(lab[2] + 128)))
    identity = bytes(range(256))
    lut = (
        b"mft1\x00\x00\x00\x00"
        + bytes((4, 3, 2, 0))
        + b"".join(_s15(v) for row in ((1, 0, 0), (0, 1, 0), (0, 0, 1)) for v in row)
        + identity * 4
        + bytes(clut)
        + identity * 3
    )
    tags = {b"desc": _desc("Test CMYK"), b"cprt": _text("No copyright"), b"wtpt": _xyz(D50_XYZ), b"A2B0": lut}
    return _profile(b"prtr", b"CMYK", b"Lab ", tags)


def _srgb_to_lab_d50(rgb: Sequence[int]) -> Vector:
    xyz = _apply(SRGB.to_xyz(), tuple(srgb_decode(c / 255) for c in rgb))  # type: ignore[arg-type]
    return _lab(_apply(_adaptation(_xy_to_xyz(*D65), D50_XYZ), xyz), D50_XYZ)


def _lab(xyz: Vector, white: Vector) -> Vector:
    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = (f(v / w) for v, w in zip(xyz, white, strict=True))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _profile(device_class: bytes, space: bytes, pcs: bytes, tags: dict[bytes, bytes]) -> bytes:
    offset = 128 + 4 + 12 * len(tags)
    table, body = bytearray(struct.pack(">I", len(tags))), bytearray()
    for signature, data in tags.items():
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data + b"\x00" * (-len(data) % 4)
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + bytes((2, 0x10, 0, 0))
        + device_class
        + space
        + pcs
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\x00" * 24
        + struct.pack(">I", 0)
        + _xyz(D50_XYZ)[8:]
        + b"\x00" * 48
    )
    return bytes(header) + bytes(table) + bytes(body)


def _desc(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\x00"
    return b"desc\x00\x00\x00\x00" + struct.pack(">I", len(ascii_text)) + ascii_text + b"\x00" * (8 + 3 + 67)


def _text(text: str) -> bytes:
    return b"text\x00\x00\x00\x00" + text.encode("ascii") + b"\x00"


def _xyz(v: Sequence[float]) -> bytes:
    return b"XYZ \x00\x00\x00\x00" + b"".join(_s15(c) for c in v)


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _gamma_curve(gamma: float) -> bytes:
    return b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, round(gamma * 256))


def _table_curve(decode: Callable[[float], float]) -> bytes:
    points = [round(65535 * decode(i / 1023)) for i in range(1024)]
    return b"curv\x00\x00\x00\x00" + struct.pack(f">I{len(points)}H", len(points), *points)


def _xy_to_xyz(x: float, y: float) -> Vector:
    return x / y, 1.0, (1 - x - y) / y


def _adaptation(source_white: Vector, target_white: Vector) -> Matrix:
    cone_s, cone_t = _apply(_BRADFORD, source_white), _apply(_BRADFORD, target_white)
    diag: Matrix = (
        (cone_t[0] / cone_s[0], 0.0, 0.0),
        (0.0, cone_t[1] / cone_s[1], 0.0),
        (0.0, 0.0, cone_t[2] / cone_s[2]),
    )
    return _matmul(_inverse(_BRADFORD), _matmul(diag, _BRADFORD))


def _apply(m: Matrix, v: Vector) -> Vector:
    return (
        m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
        m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
        m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
    )


def _matmul(a: Matrix, b: Matrix) -> Matrix:
    bt = _transpose(b)
    return tuple(tuple(sum(x * y for x, y in zip(row, col, strict=True)) for col in bt) for row in a)  # type: ignore[return-value]


def _transpose(m: Matrix) -> Matrix:
    return tuple(zip(*m, strict=True))  # type: ignore[return-value]


def _inverse(m: Matrix) -> Matrix:
    (a, b, c), (d, e, f), (g, h, i) = m
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    return (
        ((e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det),
        ((f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det),
        ((d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det),
    )
