"""Why an upload cannot be normalized: one class per user-facing error code."""

from __future__ import annotations

from typing import ClassVar

from skin_analysis.errors import ErrorCode, SkinAnalysisError


class ImageRejected(SkinAnalysisError):
    """Base of every imaging failure; `code` is stored as `error_code`, the message shown to the user."""

    code: ClassVar[ErrorCode]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedFormat(ImageRejected):
    """Raised when the bytes are not JPEG, PNG, WebP or HEIC/HEIF, whatever the file is called."""

    code = ErrorCode.UNSUPPORTED_FORMAT


class CorruptImage(ImageRejected):
    """Raised when the file is empty, truncated or cannot be decoded."""

    code = ErrorCode.CORRUPT_IMAGE


class ImageTooSmall(ImageRejected):
    """Raised when the short side is below the requested quality's minimum."""

    code = ErrorCode.IMAGE_TOO_SMALL


class ImageTooLarge(ImageRejected):
    """Raised when the header claims more pixels than allowed, or no JPEG quality fits the byte cap."""

    code = ErrorCode.IMAGE_TOO_LARGE
