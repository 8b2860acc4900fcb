"""Deterministic results: scores per (image, action, region), JSON output, ZIP archives and mask images.

Scores come from a hash of the image's sha256 and the concern, so the same photo always gets the same scores
and different photos differ. Masks are real images at the input's size, capped at 2560 px on the long side.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw

from skin_analysis.provider.actions import HD_REGIONS, SKIN_TYPE_ACTIONS, SKIN_TYPES, WHOLE, regions_of
from skin_analysis_local.simulator.config import MAX_OUTPUT_SIDE

if TYPE_CHECKING:
    from collections.abc import Callable

    from skin_analysis_local.simulator.state import TaskRecord

RESIZED_IMAGE = "resized_image.jpg"
ZIP_NAME = "skinanalysisResult.zip"
_ZIP_FOLDER = "skinanalysisResult"
_MIN_SKIN_AGE, _SKIN_AGE_SPAN = 18, 53
_SCORE_SPAN = 99.0


def _unit(*parts: str) -> float:
    """A stable number in [0, 1) from the parts."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def raw_score(image_sha: str, action: str, region: str) -> float:
    """The model's score in [1, 100]."""
    return round(1.0 + _SCORE_SPAN * _unit(image_sha, action, region), 4)


def ui_score(raw: float) -> int:
    """The adjusted score: monotonic in raw and never below it, like the provider's 'motivating' scores."""
    return min(100, max(1, round(20 + 0.8 * raw)))


def output_size(width: int, height: int) -> tuple[int, int]:
    """The input's size scaled down so the long side is at most 2560 px."""
    scale = min(1.0, MAX_OUTPUT_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def mask_name(action: str, region: str, overlay: bool) -> str:
    """The file name of one mask, as the JSON format's URLs end."""
    return f"{action}_{region}.{'jpg' if overlay else 'png'}"


def zip_mask_name(action: str, region: str) -> str:
    """The ZIP member name for a mask (contract §3.4: `_output` suffix, `all` for whole, none for some)."""
    if action in SKIN_TYPE_ACTIONS or action.endswith("tear_trough"):
        return f"{action}.png"
    if len(regions_of(action)) > 1:
        return f"{action}_output_{'all' if region == WHOLE else region}.png"
    return f"{action}_output.png"


def _entries(task: TaskRecord) -> list[tuple[str, str]]:
    return [(action, region) for action in task.actions for region in regions_of(action)]


def _summary(image_sha: str, task: TaskRecord) -> tuple[int, float]:
    scores = [raw_score(image_sha, a, r) for a, r in _entries(task) if a not in SKIN_TYPE_ACTIONS]
    overall = round(sum(scores) / len(scores), 4) if scores else round(1 + _SCORE_SPAN * _unit(image_sha, "all"), 4)
    return _MIN_SKIN_AGE + int(_SKIN_AGE_SPAN * _unit(image_sha, "skin_age")), overall


def skin_type(image_sha: str, action: str, region: str) -> str:
    """One of the eight skin types, stable per image and zone."""
    return SKIN_TYPES[int(len(SKIN_TYPES) * _unit(image_sha, action, region))]


def json_output(task: TaskRecord, image_sha: str, url_for: Callable[[str], str]) -> list[dict[str, Any]]:
    """`results.output` of a `format=json` task; `url_for(name)` mints a download URL for a member."""
    output: list[dict[str, Any]] = []
    for action, region in _entries(task):
        entry: dict[str, Any] = {"type": action}
        # Only HD sub-categorised concerns and skin types carry a region; SD scores have none (seen live).
        if action in SKIN_TYPE_ACTIONS or action.startswith("hd_"):
            entry["region"] = region
        if action in SKIN_TYPE_ACTIONS:
            entry["skin_type"] = skin_type(image_sha, action, region)
        else:
            raw = raw_score(image_sha, action, region)
            entry.update(raw_score=raw, ui_score=ui_score(raw))
        entry["mask_urls"] = [url_for(mask_name(action, region, task.overlay))]
        entry["url"] = None
        output.append(entry)
    age, overall = _summary(image_sha, task)
    output.append({"type": "skin_age", "score": age})
    output.append({"type": "all", "score": overall})
    output.append({"type": "resize_image", "mask_urls": [url_for(RESIZED_IMAGE)]})
    return output


def score_info(task: TaskRecord, image_sha: str, skin_type_nested: bool) -> dict[str, Any]:
    """`skinanalysisResult/score_info.json` of a `format=zip` task."""
    info: dict[str, Any] = {}
    for action in task.actions:
        regions = regions_of(action)
        if action in SKIN_TYPE_ACTIONS:
            per_zone = {
                r: {"skin_type": skin_type(image_sha, action, r), "output_mask_name": zip_mask_name(action, r)}
                for r in regions
            }
            info[action] = per_zone if skin_type_nested else per_zone[WHOLE]["skin_type"]
            continue
        items = {
            r: {
                "raw_score": (raw := raw_score(image_sha, action, r)),
                "ui_score": ui_score(raw),
                "output_mask_name": zip_mask_name(action, r),
            }
            for r in regions
        }
        # HD concerns with sub-categories (even `whole` alone) nest by region; the rest are flat.
        info[action] = items if action in HD_REGIONS else items[WHOLE]
    age, overall = _summary(image_sha, task)
    info["all"] = {"score": overall}
    info["skin_age"] = age
    return info


def mask_image(task: TaskRecord, name: str, overlay: bool) -> bytes:
    """A mask (PNG with alpha) or an overlay (JPG on the photo) at the capped input size.

    The mask is a two-entry palette image whose palette carries the alpha (transparent, or the concern's colour at
    160): the same pixels as an RGBA mask once decoded, drawn and encoded about ten times faster.
    """
    size = output_size(task.image.width, task.image.height)
    seed = _unit(task.image.sha256, name)
    mask = Image.new("P", size, 0)
    mask.putpalette([0, 0, 0, 0, 255, int(255 * seed), 64, 160], rawmode="RGBA")
    w, h = size
    box = (int(w * (0.2 + 0.2 * seed)), int(h * 0.3), int(w * (0.6 + 0.2 * seed)), int(h * 0.7))
    ImageDraw.Draw(mask).ellipse(box, fill=1)
    out = io.BytesIO()
    if overlay or name == RESIZED_IMAGE:
        with Image.open(io.BytesIO(task.source or b"")) as photo:
            base = photo.convert("RGBA").resize(size)
        if name != RESIZED_IMAGE:
            base = Image.alpha_composite(base, mask.convert("RGBA"))
        base.convert("RGB").save(out, "JPEG", quality=85)
    else:
        mask.save(out, "PNG", compress_level=1)
    return out.getvalue()


def zip_archive(task: TaskRecord, skin_type_nested: bool) -> bytes:
    """The whole ZIP result: score_info.json plus one PNG per listed mask."""
    info = score_info(task, task.image.sha256, skin_type_nested)
    names = sorted({zip_mask_name(a, r) for a, r in _entries(task)})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{_ZIP_FOLDER}/score_info.json", json.dumps(info, indent=4))
        for name in names:
            archive.writestr(f"{_ZIP_FOLDER}/{name}", mask_image(task, name, overlay=False))
    return out.getvalue()


def render_results(task: TaskRecord, skin_type_nested: bool) -> None:
    """Render every downloadable member of a successful task into `task.rendered`.

    The provider stores its results before it reports success, so a download costs it no work: rendering here,
    at completion, keeps drawing masks out of the client's fetch (and out of the webhook-to-result latency).
    """
    if task.result_format == "zip":
        task.rendered[ZIP_NAME] = zip_archive(task, skin_type_nested)
        return
    names: list[str] = []

    def listed(name: str) -> str:
        names.append(name)
        return name

    json_output(task, task.image.sha256, listed)
    for name in names:
        task.rendered[name] = mask_image(task, name, task.overlay and name != RESIZED_IMAGE)
