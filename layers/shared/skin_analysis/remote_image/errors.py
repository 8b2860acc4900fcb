"""Why a photo could not be fetched from its image_url."""

from __future__ import annotations

from skin_analysis.errors import SkinAnalysisError


class DownloadFailed(SkinAnalysisError):
    """Raised when the photo at an image_url could not be fetched (refused, unreachable, too large, too slow)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImageUrlRefused(DownloadFailed):
    """Raised when the URL, or an address it resolves or redirects to, is one we never connect to."""
