"""The entry point: uploaded bytes in, a provider-ready sRGB JPEG without metadata (or a typed rejection) out."""

from __future__ import annotations

import io
import struct
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from PIL import Image
from PIL.JpegImagePlugin import JpegImageFile

from skin_analysis.imaging.dct_scaling import scale_for_decoding
from skin_analysis.imaging.encode import QUALITY_LADDER, encode_jpeg
from skin_analysis.imaging.errors import CorruptImage, ImageTooLarge
from skin_analysis.imaging.icc import is_srgb
from skin_analysis.imaging.jpeg_segments import HUFFMAN_SOF_MARKERS, read_frame, strip_metadata
from skin_analysis.imaging.pixels import in_srgb, orientation_of, oriented, resized, to_working_mode
from skin_analysis.imaging.policy import DEFAULT_MAX_PIXELS, MAX_OUTPUT_BYTES, check_pixel_limit, plan_size
from skin_analysis.imaging.sniff import SourceFormat, heif_support, sniff
from skin_analysis.imaging.steps import Step

if TYPE_CHECKING:
    from collections.abc import Iterator

    from PIL import ImageFile

    from skin_analysis.quality import Quality

# What Pillow and pillow-heif raise on bytes they cannot parse or decode (plugins wrap parser slips such as
# IndexError in SyntaxError; libheif failures surface as RuntimeError).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, RuntimeError)
_UNDECODABLE = "The photo could not be decoded: the file is truncated or damaged."


@dataclass(frozen=True, slots=True)
class NormalizedImage:
    """A provider-ready photo: sRGB JPEG bytes without metadata, its size, and what was done to get there."""

    data: bytes
    size: tuple[int, int]
    """(width, height) of the output, upright."""
    source_format: SourceFormat
    source_size: tuple[int, int]
    """(width, height) as stored in the upload, before its EXIF orientation."""
    steps: tuple[Step, ...]
    jpeg_quality: int | None
    """The encoder quality we used; None when the upload's own JPEG data passed through."""
    format: Literal["jpeg"] = "jpeg"
    content_type: Literal["image/jpeg"] = "image/jpeg"


def normalize_image(
    data: bytes,
    quality: Quality,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_output_bytes: int = MAX_OUTPUT_BYTES,
) -> NormalizedImage:
    """Normalize an upload for `quality`; raises an `ImageRejected` subclass carrying the user-facing code."""
    sniffed = sniff(data)
    check_pixel_limit(sniffed.width, sniffed.height, max_pixels)
    if sniffed.format is SourceFormat.HEIF:
        heif_support()
    with _decoding():
        image = Image.open(io.BytesIO(data), formats=[sniffed.format.pillow_format])
    with image:
        # A lazy open has parsed the header only: a photo too small for its quality is refused undecoded.
        target = plan_size(*image.size, quality)
        if sniffed.format is SourceFormat.JPEG and _is_compliant(image, data, target, max_output_bytes):
            return NormalizedImage(
                strip_metadata(data), image.size, sniffed.format, image.size, (Step.PASSED_THROUGH,), None
            )
        return _reencode(image, target, sniffed.format, max_output_bytes)


def _is_compliant(image: ImageFile.ImageFile, data: bytes, target: tuple[int, int], max_bytes: int) -> bool:
    """Whether a JPEG can go to the provider as it is, once its metadata segments are dropped."""
    if len(data) >= max_bytes or image.size != target or image.mode != "RGB" or orientation_of(image) != 1:
        return False
    icc = image.info.get("icc_profile")
    if icc and not is_srgb(icc):
        return False
    # Arithmetic-coded and lossless JPEGs decode here but not everywhere: re-encode those.
    return read_frame(data).sof_marker in HUFFMAN_SOF_MARKERS


def _reencode(
    image: ImageFile.ImageFile, target: tuple[int, int], source_format: SourceFormat, max_bytes: int
) -> NormalizedImage:
    steps: list[Step] = []
    source_size = image.size
    box = None
    if isinstance(image, JpegImageFile):
        # libjpeg scales by 1/2, 3/8, 1/4 or 1/8 inside the IDCT: a 48 MP photo decodes as 6.9 MP.
        box = scale_for_decoding(image, target)
        if box is not None:
            steps.append(Step.DCT_SCALED)
    if getattr(image, "is_animated", False):
        steps.append(Step.FIRST_FRAME)
    with _decoding():
        image.load()
    orientation = orientation_of(image)
    icc = image.info.get("icc_profile")
    working = resized(to_working_mode(image, steps), target, steps, box)
    upright = oriented(in_srgb(working, icc, steps), orientation, steps)
    encoded, jpeg_quality = encode_jpeg(upright, max_bytes)
    steps.append(Step.ENCODED)
    if jpeg_quality != QUALITY_LADDER[0]:
        steps.append(Step.QUALITY_LOWERED)
    return NormalizedImage(encoded, upright.size, source_format, source_size, tuple(steps), jpeg_quality)


@contextmanager
def _decoding() -> Iterator[None]:
    """Map decoder failures to `CorruptImage`; Pillow's own bomb limits are ours to enforce, not its."""
    try:
        with warnings.catch_warnings():
            # Our header check already passed; between Pillow's warning and error thresholds it only adds noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield
    except Image.DecompressionBombError as error:
        # Only reachable when a caller raises max_pixels above Pillow's hard limit (about 179 MP).
        raise ImageTooLarge("The photo has more pixels than the image decoder allows.") from error
    except _DECODE_ERRORS as error:
        raise CorruptImage(_UNDECODABLE) from error
