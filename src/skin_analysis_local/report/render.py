"""The HTML report: one static page, its photos and masks beside it, readable from file:// with no server.

Per analysis: the normalized photo with every mask overlaid (a toggle each, one opacity slider), a score bar per
concern and region, skin type per zone, skin age and the overall score; for a failure, the error code, what it
means, the fix and the photo guidance.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from html import escape
from importlib.resources import files
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from skin_analysis.errors import describe_error

if TYPE_CHECKING:
    from pathlib import Path

    from skin_analysis_local.report.gather import GatheredAnalysis

ASSETS_DIR = "assets"
# Provider contract §8: what a photo needs for the engine to analyse it.
PHOTO_GUIDANCE = (
    "Bright, even lighting: no dark room, no blown highlights, no strong shadow across the face.",
    "Face straight on and centred, at least 60 % of the image width (60-80 % is best).",
    "Forehead visible: hair and bangs back, nothing covering the face.",
    "Glasses off, no heavy makeup; eyes open, mouth closed, no motion blur.",
)
_DEFAULT_OPACITY = 60
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def write_report(analyses: list[GatheredAnalysis], out_dir: Path, title: str) -> Path:
    """Write `out_dir/index.html` and `out_dir/assets/`; returns the page's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out_dir / ASSETS_DIR, ignore_errors=True)  # a previous report's photos must not linger
    cards = [_card(analysis, _write_assets(analysis, out_dir)) for analysis in analyses]
    page = out_dir / "index.html"
    page.write_text(_page(title, analyses, cards), encoding="utf-8")
    return page


def _write_assets(analysis: GatheredAnalysis, out_dir: Path) -> dict[str, str]:
    """Copy the photo and masks next to the page; returns name ("photo" or a mask name) -> relative URL."""
    folder = PurePosixPath(ASSETS_DIR, _SAFE_NAME.sub("_", analysis.analysis_id))
    urls: dict[str, str] = {}
    files_to_write: dict[PurePosixPath, bytes] = {}
    if analysis.photo is not None:
        files_to_write[folder / "normalized.jpg"] = analysis.photo
        urls["photo"] = str(folder / "normalized.jpg")
    elif analysis.upload is not None and analysis.item is not None:
        # A rejected upload has no normalized copy; the original shows what was wrong with it.
        upload = folder / f"upload{PurePosixPath(analysis.item.get('source_key', '')).suffix.lower()}"
        files_to_write[upload] = analysis.upload
        urls["upload"] = str(upload)
    for name, data in analysis.masks.items():
        suffix = PurePosixPath(analysis.mask_keys.get(name, "")).suffix or ".png"
        relative = folder / "masks" / f"{_SAFE_NAME.sub('_', name)}{suffix}"
        files_to_write[relative] = data
        urls[name] = str(relative)
    for relative, data in files_to_write.items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return urls


def _page(title: str, analyses: list[GatheredAnalysis], cards: list[str]) -> str:
    statuses = [(a.item or {}).get("status", "NOT_FOUND") for a in analyses]
    counts = ", ".join(f"{statuses.count(s)} {s.lower().replace('_', ' ')}" for s in dict.fromkeys(statuses))
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    style = files("skin_analysis_local.report").joinpath("report.css").read_text(encoding="utf-8")
    script = files("skin_analysis_local.report").joinpath("report.js").read_text(encoding="utf-8")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>
{style}</style>
</head>
<body>
<main>
<h1>{escape(title)}</h1>
<p class="summary">{len(analyses)} analyses: {escape(counts)}. Generated {generated}.</p>
{"".join(cards)}
</main>
<script>
{script}</script>
</body>
</html>
"""


def _card(analysis: GatheredAnalysis, urls: dict[str, str]) -> str:
    item = analysis.item
    if item is None:
        return _header(analysis.analysis_id, "NOT_FOUND", {}) + (
            '<div class="failure no-photo"><p>No analysis with this id: erased, expired, or not of this stack.</p>'
            "</div></section>\n"
        )
    status = item["status"]
    if status == "SUCCEEDED":
        return _header(analysis.analysis_id, status, item) + _succeeded(item, urls) + "</section>\n"
    if status == "FAILED":
        return _header(analysis.analysis_id, status, item) + _failed(item, urls) + "</section>\n"
    return _header(analysis.analysis_id, status, item) + (
        f'<div class="failure no-photo"><p>Still in progress ({escape(status)}): run the report again later.</p>'
        "</div></section>\n"
    )


def _header(analysis_id: str, status: str, item: dict[str, Any]) -> str:
    name = PurePosixPath(item.get("source_key") or analysis_id).name
    meta = " · ".join(
        part
        for part in (
            f"quality {item['quality'].upper()}" if item.get("quality") else "",
            f"partner {item['partner_id']}" if item.get("partner_id") else "",
            f"created {item['created_at'][:19].replace('T', ' ')}" if item.get("created_at") else "",
        )
        if part
    )
    return (
        f'<section class="analysis" id="analysis-{escape(analysis_id)}" data-analysis-id="{escape(analysis_id)}"'
        f' data-status="{escape(status)}">\n<header><h2>{escape(name)}</h2>'
        f'<span class="badge {escape(status)}">{escape(status.replace("_", " "))}</span>'
        f'<span class="meta">{escape(meta)}</span><code>{escape(analysis_id)}</code></header>\n'
    )


def _whole(regions: dict[str, Any]) -> float:
    entry: dict[str, Any] = regions.get("whole") or next(iter(regions.values()), {})
    return float(entry.get("ui_score", 0))


def _succeeded(item: dict[str, Any], urls: dict[str, str]) -> str:
    scores: dict[str, dict[str, Any]] = item.get("scores") or {}
    # The weakest concern's masks start switched on: where to look first.
    weakest = min(scores, key=lambda concern: _whole(scores[concern])) if scores else ""
    masks = sorted(name for name in urls if name != "photo")
    overlays = "".join(
        f'<img class="mask" data-mask="{escape(name)}" src="{escape(urls[name])}" alt="{escape(name)} mask">'
        for name in masks
    )
    toggles = "".join(
        f'<label class="toggle"><input type="checkbox" data-mask="{escape(name)}"'
        f"{' checked' if name == weakest or name.startswith(weakest + '_') else ''}>"
        f"{escape(name.replace('_', ' '))}</label>"
        for name in masks
    )
    photo = urls.get("photo")
    stage = f'<img class="photo" src="{escape(photo)}" alt="normalized photo">' if photo else "<p>photo erased</p>"
    controls = (
        f'<div class="controls"><label class="opacity">Mask opacity <input type="range" class="opacity-slider"'
        f' min="0" max="100" value="{_DEFAULT_OPACITY}"><output>{_DEFAULT_OPACITY} %</output></label>'
        f'<div class="toggles">{toggles}</div><div class="toggle-all"><button type="button" data-all="on">all masks'
        '</button><button type="button" data-all="off">none</button></div></div>'
        if masks
        else ""
    )
    return (
        f'<div class="body"><div class="viewer"><div class="stage">{stage}{overlays}</div>{controls}</div>'
        f'<div class="numbers">{_headline(item)}{_skin_types(item)}<h3>Scores</h3>'
        f'<ul class="scores">{_score_rows(scores)}</ul></div></div>\n'
    )


def _headline(item: dict[str, Any]) -> str:
    overall = item.get("overall_score")
    age = item.get("skin_age")
    return (
        '<div class="headline">'
        f'<div class="figure overall"><span class="value" data-overall="{overall}">'
        f'{"-" if overall is None else f"{overall:.0f}"}</span><span class="label">overall score</span></div>'
        f'<div class="figure skin-age"><span class="value" data-skin-age="{age}">{"-" if age is None else age}'
        '</span><span class="label">skin age</span></div></div>'
    )


def _skin_types(item: dict[str, Any]) -> str:
    zones: dict[str, str] = item.get("skin_type") or {}
    if not zones:
        return ""
    rows = "".join(
        f'<tr data-zone="{escape(zone)}"><th>{escape(zone.replace("_", "-"))}</th><td>{escape(kind)}</td></tr>'
        for zone, kind in zones.items()
    )
    return f'<h3>Skin type</h3><table class="skin-type">{rows}</table>'


def _score_rows(scores: dict[str, dict[str, Any]]) -> str:
    rows = []
    for concern in sorted(scores):
        for region, entry in sorted(scores[concern].items(), key=lambda pair: pair[0] != "whole"):
            ui = round(float(entry.get("ui_score", 0)))
            label = concern if region == "whole" else f"{concern} · {region}"
            # red (0) through amber to green (100): higher is healthier-looking for every concern
            rows.append(
                f'<li class="score" data-concern="{escape(concern)}" data-region="{escape(region)}"'
                f' data-score="{ui}" title="raw score {entry.get("raw_score")}">'
                f'<span class="name">{escape(label.replace("_", " "))}</span>'
                f'<span class="bar"><span style="width:{ui}%;background:hsl({ui * 1.2:.0f} 55% 48%)"></span></span>'
                f'<span class="value">{ui}</span></li>'
            )
    return "".join(rows)


def _failed(item: dict[str, Any], urls: dict[str, str]) -> str:
    code = item.get("error_code") or "unknown"
    described = describe_error(code)
    photo = urls.get("photo") or urls.get("upload")
    kind = "normalized photo" if "photo" in urls else "the photo as uploaded"
    picture = (
        f'<figure class="stage"><img class="photo" src="{escape(photo)}" alt="{kind}"><figcaption>{kind}</figcaption>'
        "</figure>"
        if photo
        else ""
    )
    guidance = "".join(f"<li>{escape(line)}</li>" for line in PHOTO_GUIDANCE)
    message = item.get("error_message")
    return (
        f'<div class="failure{"" if photo else " no-photo"}" data-error-code="{escape(code)}">{picture}<div>'
        f'<p class="code"><code>{escape(code)}</code> {escape(described.meaning)}</p>'
        f'<p class="fix"><strong>Fix:</strong> {escape(described.fix)}</p>'
        + (f'<p class="message">{escape(message)}</p>' if message else "")
        + f'<h3>Photo guidance</h3><ul class="guidance">{guidance}</ul></div></div>\n'
    )
