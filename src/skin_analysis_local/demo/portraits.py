"""The demo's sample photos: portraits drawn with Pillow, nothing downloaded, no real person's face.

Each `Portrait` varies what the pipeline must cope with: skin tone, size, format (JPEG, PNG, WebP, HEIC), a
phone JPEG stored on its side with EXIF orientation 6, and one photo too small to analyse. The faces fill about
two thirds of the width, forehead visible, no glasses: the provider's photo guidance.

    python -m skin_analysis_local.demo.portraits OUT_DIR   # write them out to look at
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from skin_analysis.errors import ErrorCode

RGB = tuple[int, int, int]
_EXIF_ORIENTATION = 0x0112
_ROTATE_90_CW_TO_VIEW = 6


@dataclass(frozen=True)
class Portrait:
    """One sample photo: how it looks, how it is stored, and what the pipeline should make of it."""

    name: str
    caption: str
    size: tuple[int, int]  # upright width x height, as a viewer shows it
    image_format: str  # Pillow's format name
    extension: str
    skin: RGB
    hair: RGB
    iris: RGB
    backdrop: tuple[RGB, RGB]
    long_hair: bool = False
    exif_orientation: int | None = None
    expected_error: ErrorCode | None = None

    @property
    def filename(self) -> str:
        """The object name under `incoming/`."""
        return f"{self.name}.{self.extension}"


PORTRAITS = (
    Portrait(
        "amara",
        "deep skin tone, 1080x1440 JPEG",
        (1080, 1440),
        "JPEG",
        "jpg",
        skin=(104, 66, 44),
        hair=(24, 18, 16),
        iris=(48, 30, 20),
        backdrop=((214, 226, 236), (150, 170, 196)),
    ),
    Portrait(
        "lin",
        "light-medium skin tone, 1200x1600 PNG",
        (1200, 1600),
        "PNG",
        "png",
        skin=(226, 188, 156),
        hair=(34, 28, 30),
        iris=(60, 40, 28),
        backdrop=((238, 230, 214), (204, 186, 160)),
        long_hair=True,
    ),
    Portrait(
        "sofia",
        "light skin tone, 1080x1440 HEIC (an iPhone's format)",
        (1080, 1440),
        "HEIF",
        "heic",
        skin=(241, 208, 186),
        hair=(150, 96, 52),
        iris=(70, 110, 140),
        backdrop=((222, 236, 222), (168, 196, 172)),
        long_hair=True,
    ),
    Portrait(
        "ravi",
        "medium-brown skin tone, phone JPEG stored 1920x1440 on its side (EXIF orientation 6)",
        (1440, 1920),
        "JPEG",
        "jpeg",
        skin=(170, 118, 84),
        hair=(30, 24, 20),
        iris=(52, 34, 22),
        backdrop=((240, 222, 206), (196, 160, 140)),
        exif_orientation=_ROTATE_90_CW_TO_VIEW,
    ),
    Portrait(
        "mateo",
        "olive skin tone, 960x1280 WebP",
        (960, 1280),
        "WEBP",
        "webp",
        skin=(198, 150, 112),
        hair=(64, 44, 30),
        iris=(80, 96, 60),
        backdrop=((226, 222, 240), (176, 168, 208)),
    ),
    Portrait(
        "thumbnail",
        "a 300x400 thumbnail: too small to analyse (deliberately bad)",
        (300, 400),
        "JPEG",
        "jpg",
        skin=(214, 170, 136),
        hair=(90, 60, 40),
        iris=(60, 40, 28),
        backdrop=((230, 230, 230), (190, 190, 190)),
        expected_error=ErrorCode.IMAGE_TOO_SMALL,
    ),
)


def _shade(color: RGB, factor: float) -> RGB:
    r, g, b = (max(0, min(255, round(channel * factor))) for channel in color)
    return r, g, b


def _backdrop(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    column = Image.new("RGB", (1, 256))
    for y in range(256):
        t = y / 255
        column.putpixel((0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    return column.resize(size, Image.Resampling.BICUBIC)


def _soft(image: Image.Image, shape: Image.Image, color: RGB, blur: float) -> None:
    """Paint `color` through a blurred copy of the `shape` mask (soft shadows, blush, hair edges)."""
    bbox = shape.getbbox()
    if bbox is None:
        return
    # blurring only the shape's neighbourhood keeps a 2 MP portrait well under a second
    margin = int(3 * blur) + 1
    left, upper = max(0, bbox[0] - margin), max(0, bbox[1] - margin)
    box = (left, upper, min(image.width, bbox[2] + margin), min(image.height, bbox[3] + margin))
    region = shape.crop(box).filter(ImageFilter.GaussianBlur(blur))
    image.paste(Image.new("RGB", region.size, color), (left, upper), mask=region)


def _mask(size: tuple[int, int]) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    mask = Image.new("L", size, 0)
    return mask, ImageDraw.Draw(mask)


def draw(portrait: Portrait) -> Image.Image:
    """The portrait upright, as a viewer shows it."""
    w, h = portrait.size
    image = _backdrop(portrait.size, *portrait.backdrop)
    cx, face_w = w / 2, w * 0.64
    face_h = face_w * 1.3
    top = h * 0.17
    face = (cx - face_w / 2, top, cx + face_w / 2, top + face_h)
    skin, hair = portrait.skin, portrait.hair
    unit = face_w / 100

    if portrait.long_hair:
        mask, pen = _mask(portrait.size)
        pen.rounded_rectangle(
            (cx - face_w * 0.62, top - 10 * unit, cx + face_w * 0.62, h * 0.9), radius=int(30 * unit), fill=255
        )
        _soft(image, mask, hair, 2 * unit)

    # shoulders and neck
    mask, pen = _mask(portrait.size)
    pen.ellipse((cx - w * 0.55, top + face_h * 1.02, cx + w * 0.55, h * 1.5), fill=255)
    _soft(image, mask, _shade(portrait.backdrop[1], 0.55), unit)
    mask, pen = _mask(portrait.size)
    pen.rectangle((cx - 20 * unit, top + face_h * 0.7, cx + 20 * unit, top + face_h * 1.12), fill=255)
    _soft(image, mask, _shade(skin, 0.86), unit)

    # ears, then the face with a shadow under the jaw and light on the forehead
    mask, pen = _mask(portrait.size)
    for side in (-1, 1):
        ex = cx + side * face_w * 0.5
        pen.ellipse((ex - 7 * unit, top + 42 * unit, ex + 7 * unit, top + 66 * unit), fill=255)
    _soft(image, mask, _shade(skin, 0.93), 0.6 * unit)
    mask, pen = _mask(portrait.size)
    pen.ellipse(face, fill=255)
    _soft(image, mask, skin, 0.6 * unit)
    mask, pen = _mask(portrait.size)
    pen.ellipse((cx - 40 * unit, top + 6 * unit, cx + 40 * unit, top + 50 * unit), fill=70)
    _soft(image, mask, _shade(skin, 1.12), 10 * unit)
    mask, pen = _mask(portrait.size)
    pen.ellipse((cx - 38 * unit, top + 100 * unit, cx + 38 * unit, top + 134 * unit), fill=90)
    _soft(image, mask, _shade(skin, 0.8), 8 * unit)

    # hairline above a clear forehead
    mask, pen = _mask(portrait.size)
    pen.chord((face[0] - 3 * unit, top - 14 * unit, face[2] + 3 * unit, top + 52 * unit), 180, 360, fill=255)
    _soft(image, mask, hair, 1.2 * unit)

    _draw_features(image, portrait, cx, top, unit)
    return image


def _draw_features(image: Image.Image, portrait: Portrait, cx: float, top: float, unit: float) -> None:
    skin = portrait.skin
    eye_y = top + 58 * unit
    for side in (-1, 1):
        ex = cx + side * 20 * unit
        mask, pen = _mask(image.size)
        pen.ellipse((ex - 12 * unit, eye_y - 12 * unit, ex + 12 * unit, eye_y + 12 * unit), fill=110)
        _soft(image, mask, _shade(skin, 0.82), 3 * unit)  # eye socket
        mask, pen = _mask(image.size)
        pen.ellipse((ex - 9 * unit, eye_y - 4.5 * unit, ex + 9 * unit, eye_y + 4.5 * unit), fill=255)
        _soft(image, mask, (244, 240, 234), 0.3 * unit)
        mask, pen = _mask(image.size)
        pen.ellipse((ex - 4 * unit, eye_y - 4 * unit, ex + 4 * unit, eye_y + 4 * unit), fill=255)
        _soft(image, mask, portrait.iris, 0.3 * unit)
        mask, pen = _mask(image.size)
        pen.ellipse((ex - 1.8 * unit, eye_y - 1.8 * unit, ex + 1.8 * unit, eye_y + 1.8 * unit), fill=255)
        _soft(image, mask, (12, 10, 10), 0.2 * unit)
        mask, pen = _mask(image.size)
        pen.arc(
            (ex - 11 * unit, eye_y - 19 * unit, ex + 11 * unit, eye_y - 5 * unit),
            200,
            340,
            fill=255,
            width=max(2, int(2.6 * unit)),
        )
        _soft(image, mask, portrait.hair, 0.4 * unit)  # brow
        mask, pen = _mask(image.size)
        pen.ellipse((ex - 12 * unit, eye_y + 14 * unit, ex + 12 * unit, eye_y + 28 * unit), fill=80)
        _soft(image, mask, (214, 96, 96), 6 * unit)  # cheek

    mask, pen = _mask(image.size)
    pen.polygon(
        [(cx, eye_y + 4 * unit), (cx - 6 * unit, eye_y + 30 * unit), (cx + 6 * unit, eye_y + 30 * unit)], fill=90
    )
    _soft(image, mask, _shade(skin, 0.78), 2.5 * unit)  # nose
    mask, pen = _mask(image.size)
    mouth_y = eye_y + 44 * unit
    pen.chord((cx - 14 * unit, mouth_y - 6 * unit, cx + 14 * unit, mouth_y + 8 * unit), 0, 180, fill=255)
    pen.chord((cx - 14 * unit, mouth_y - 4 * unit, cx + 14 * unit, mouth_y + 2 * unit), 180, 360, fill=255)
    lips = (round(skin[0] * 0.75 + 40), round(skin[1] * 0.55), round(skin[2] * 0.55))
    _soft(image, mask, lips, 0.6 * unit)


def encode(portrait: Portrait) -> bytes:
    """The photo's bytes in its format: stored on its side with an EXIF orientation when it has one."""
    image = draw(portrait)
    out = io.BytesIO()
    if portrait.exif_orientation == _ROTATE_90_CW_TO_VIEW:
        exif = Image.Exif()
        exif[_EXIF_ORIENTATION] = portrait.exif_orientation
        # a viewer turns it 90 degrees clockwise, so it is stored turned counter-clockwise
        image.transpose(Image.Transpose.ROTATE_90).save(out, portrait.image_format, quality=88, exif=exif)
    elif portrait.image_format == "HEIF":
        from pillow_heif import register_heif_opener  # noqa: PLC0415 - only this one photo needs the codec

        register_heif_opener()
        image.save(out, "HEIF", quality=70)
    elif portrait.image_format == "PNG":
        image.save(out, "PNG", compress_level=1)
    else:
        image.save(out, portrait.image_format, quality=88)
    return out.getvalue()


def main(out_dir: str) -> None:
    """Write every portrait into `out_dir`."""
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    for portrait in PORTRAITS:
        (target / portrait.filename).write_bytes(encode(portrait))
        print(target / portrait.filename)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo-photos")
