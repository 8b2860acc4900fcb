"""The simulated engine: fetches `src_file_url`, judges the image in the contract's order, applies fixtures.

Outcome order (contract §12): undecodable → file over 10 MB → short side under the quality's minimum → long
side over `max_long_side` → fixture or file-name marker (face, lighting, NSFW, inference, internal, timeout).
"""

from __future__ import annotations

import hashlib
import io
import re
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import requests
from PIL import Image

from skin_analysis_local.simulator.config import MAX_FILE_BYTES

if TYPE_CHECKING:
    from skin_analysis.quality import Quality
    from skin_analysis_local.simulator.config import SimulatorConfig

#: Marker for the status GET's 500 "Task execution timed out" instead of an engine code.
TASK_TIMEOUT = "task_timeout"
#: Outcomes a fixture or a `sim-<outcome>` file-name marker may select.
FIXTURE_OUTCOMES = frozenset(
    {
        "error_src_face_too_small",
        "error_src_face_out_of_bound",
        "error_lighting_dark",
        "error_no_face",
        "error_nsfw_content_detected",
        "error_inference",
        "error_pose",
        "error_face_parsing",
        "unknown_internal_error",
        TASK_TIMEOUT,
    }
)
_MARKER = re.compile(r"sim-([a-z_]+)")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ImageInfo:
    """What the engine learnt from a decodable image."""

    sha256: str
    width: int
    height: int


@dataclass(frozen=True)
class Outcome:
    """How a task ends: an engine error code, the task-timeout 500, or success with the image's facts."""

    error: str | None = None
    image: ImageInfo | None = None
    task_timeout: bool = False
    source_sha256: str | None = None


class DownloadFailed(Exception):
    """`src_file_url` could not be fetched within the caps."""


def fetch(url: str, config: SimulatorConfig) -> bytes:
    """Download `src_file_url` over real HTTP (loopback allowed) within the size and time caps."""
    deadline = time.monotonic() + config.download_timeout
    try:
        with requests.get(url, stream=True, timeout=config.download_timeout) as response:
            if not response.ok:
                raise DownloadFailed(f"HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_content(_CHUNK):
                body.extend(chunk)
                if len(body) > config.download_max_bytes:
                    raise DownloadFailed("over the size cap")
                if time.monotonic() > deadline:
                    raise DownloadFailed("over the time cap")
            return bytes(body)
    except requests.RequestException as error:
        raise DownloadFailed(str(error)) from error


def judge(
    data: bytes,
    name: str,
    quality: Quality,
    config: SimulatorConfig,
    fixtures: dict[str, str],
    *,
    override: str | None = None,
) -> Outcome:
    """Decide the task's outcome from the image bytes, its name, a per-file outcome and the fixture registry."""
    digest = hashlib.sha256(data).hexdigest()
    size = _decoded_size(data)
    if size is None:
        return Outcome(error="error_decode_image", source_sha256=digest)
    width, height = size
    error: str | None = None
    if len(data) > MAX_FILE_BYTES:
        error = "exceed_max_filesize"
    elif min(width, height) < quality.min_short_side:
        error = "error_below_min_image_size"
    elif max(width, height) > config.max_long_side:
        error = "error_exceed_max_image_size"
    else:
        error = override or fixtures.get(digest) or marker_outcome(name)
    info = ImageInfo(digest, width, height)
    if error == TASK_TIMEOUT:
        return Outcome(task_timeout=True, image=info, source_sha256=digest)
    return Outcome(error=error, image=info, source_sha256=digest)


def marker_outcome(name: str) -> str | None:
    """The outcome named by a `sim-<outcome>` marker in a file name or URL, if it is a known one."""
    for match in _MARKER.finditer(name):
        if match.group(1) in FIXTURE_OUTCOMES:
            return match.group(1)
    return None


def _decoded_size(data: bytes) -> tuple[int, int] | None:
    """Fully decode the image (a truncated file must fail) and return its size, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                width, height = image.size
                return int(width), int(height)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        return None
