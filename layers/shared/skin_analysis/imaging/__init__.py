"""Image normalization: any accepted upload in, a provider-ready sRGB JPEG without metadata out.

The ingest Lambda calls `normalize_image(data, quality)` and either stores `NormalizedImage.data` or records
the `ImageRejected.code` and message of the failure. docs/imaging.md explains the size policy and fast paths.
"""

from skin_analysis.imaging.errors import (
    CorruptImage,
    ImageRejected,
    ImageTooLarge,
    ImageTooSmall,
    UnsupportedFormat,
)
from skin_analysis.imaging.normalize import NormalizedImage, normalize_image
from skin_analysis.imaging.policy import DEFAULT_MAX_PIXELS, MAX_LONG_SIDE, MAX_OUTPUT_BYTES, plan_size
from skin_analysis.imaging.sniff import SourceFormat
from skin_analysis.imaging.steps import Step

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MAX_LONG_SIDE",
    "MAX_OUTPUT_BYTES",
    "CorruptImage",
    "ImageRejected",
    "ImageTooLarge",
    "ImageTooSmall",
    "NormalizedImage",
    "SourceFormat",
    "Step",
    "UnsupportedFormat",
    "normalize_image",
    "plan_size",
]
