"""Typed views of what the provider returns: upload slots, task status, JSON and ZIP results, units.

Parsing is lenient where the provider's own documents disagree (contract §10): a ZIP result may be `{url}` or
a bare string, SD entries carry no `region` (stored as `whole`), unknown extra fields are ignored.
"""

from __future__ import annotations

import io
import json
import zipfile
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from skin_analysis.provider.actions import WHOLE
from skin_analysis.provider.errors import AnalysisRejected, ProviderUnavailable

if TYPE_CHECKING:
    from collections.abc import Mapping

ZIP_FOLDER = "skinanalysisResult"
SCORE_INFO = f"{ZIP_FOLDER}/score_info.json"
# score_info.json keys that are not concerns.
_SUMMARY_KEYS = frozenset({"all", "skin_age"})
# JSON output entry types that are not concerns.
_SKIN_AGE, _ALL, _RESIZE_IMAGE = "skin_age", "all", "resize_image"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class UploadSlot(_Frozen):
    """Where and how to PUT the bytes for a `file_id` (the File API's `requests[0]`)."""

    file_id: str
    method: str
    url: str
    headers: dict[str, str]


class ConcernScore(_Frozen):
    """One scored concern in one region; `mask` is a URL (JSON format) or a ZIP member name (ZIP format)."""

    concern: str
    region: str
    raw_score: float
    ui_score: int
    mask: str | None = None


class SkinTypeReading(_Frozen):
    """The categorical skin type of one zone (whole, t_zone, u_zone)."""

    concern: str
    region: str
    skin_type: str
    mask: str | None = None


class AnalysisResults(_Frozen):
    """Every score of a successful task, the same for both formats."""

    scores: tuple[ConcernScore, ...] = ()
    skin_types: tuple[SkinTypeReading, ...] = ()
    skin_age: int | None = None
    overall_score: float | None = None
    resized_image: str | None = None

    def score_map(self) -> dict[str, dict[str, dict[str, float]]]:
        """Scores as concern → region → {raw_score, ui_score}, the shape stored on an analysis."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for score in self.scores:
            out.setdefault(score.concern, {})[score.region] = {
                "raw_score": score.raw_score,
                "ui_score": score.ui_score,
            }
        return out

    def masks(self) -> dict[str, str]:
        """Mask locations keyed `<concern>` or `<concern>_<region>` (region omitted when `whole`)."""
        out: dict[str, str] = {}
        items: list[ConcernScore | SkinTypeReading] = [*self.scores, *self.skin_types]
        for item in items:
            if item.mask:
                key = item.concern if item.region == WHOLE else f"{item.concern}_{item.region}"
                out[key] = item.mask
        return out


class TaskState(StrEnum):
    """`data.task_status` of the status GET."""

    RUNNING = "running"
    SUCCESS = "success"
    ERROR = "error"


class TaskStatus(_Frozen):
    """One status GET: running, success (JSON results or a ZIP URL) or an engine error."""

    task_id: str
    state: TaskState
    results: AnalysisResults | None = None
    zip_url: str | None = None
    engine_error: str | None = None
    error_message: str | None = None
    polling_interval_ms: int | None = None

    def raise_for_error(self) -> None:
        """Raise `AnalysisRejected` if the engine refused the photo; do nothing otherwise."""
        if self.state is TaskState.ERROR:
            code = self.engine_error or "unknown_internal_error"
            detail = f": {self.error_message}" if self.error_message else ""
            raise AnalysisRejected(
                code,
                f"The provider refused task {self.task_id} with {code}{detail}. "
                "See skin_analysis.errors.describe_error for the photo guidance.",
                task_id=self.task_id,
            )


class ZipResults(_Frozen):
    """A downloaded ZIP result: the parsed `score_info.json` and every member's bytes by member name."""

    results: AnalysisResults
    files: dict[str, bytes]

    def mask_bytes(self, mask: str) -> bytes:
        """The bytes of a mask named in `results` (names are relative to the `skinanalysisResult` folder)."""
        return self.files[f"{ZIP_FOLDER}/{mask}"]


class CreditLot(_Frozen):
    """One unit lot from `/s2s/v1.0/client/credit` (ids may exceed 2^53, so they stay integers, not floats)."""

    id: int
    type: str
    amount_dec: float
    expiry_ms: int | None = None


class FeatureCost(_Frozen):
    """One SKU from `/s2s/v2.0/credit/feature-cost`."""

    description: str
    amount: float
    unit: str
    proc_unit: int
    run_task_url: str


class _OutputEntry(_Frozen):
    type: str
    region: str | None = None
    raw_score: float | None = None
    ui_score: int | None = None
    score: float | None = None
    skin_type: str | None = None
    mask_urls: list[str] | None = None


def _unexpected(what: str, detail: object) -> ProviderUnavailable:
    return ProviderUnavailable(
        f"The provider returned an unexpected {what} ({detail}); retry, and report it if it repeats."
    )


def parse_json_output(output: object) -> AnalysisResults:
    """Turn `data.results.output` of a `format=json` task into `AnalysisResults`."""
    try:
        entries = [_OutputEntry.model_validate(item) for item in _as_list(output)]
    except ValidationError as error:
        raise _unexpected("JSON result", error) from error
    scores: list[ConcernScore] = []
    skin_types: list[SkinTypeReading] = []
    fields: dict[str, Any] = {}
    for entry in entries:
        mask = entry.mask_urls[0] if entry.mask_urls else None
        if entry.type == _SKIN_AGE and entry.score is not None:
            fields["skin_age"] = round(entry.score)
        elif entry.type == _ALL and entry.score is not None:
            fields["overall_score"] = entry.score
        elif entry.type == _RESIZE_IMAGE:
            fields["resized_image"] = mask
        elif entry.skin_type is not None:
            skin_types.append(
                SkinTypeReading(concern=entry.type, region=entry.region or WHOLE, skin_type=entry.skin_type, mask=mask)
            )
        elif entry.raw_score is not None and entry.ui_score is not None:
            scores.append(
                ConcernScore(
                    concern=entry.type,
                    region=entry.region or WHOLE,
                    raw_score=entry.raw_score,
                    ui_score=entry.ui_score,
                    mask=mask,
                )
            )
    return AnalysisResults(scores=tuple(scores), skin_types=tuple(skin_types), **fields)


def _as_list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise _unexpected("JSON result", f"output is {type(value).__name__}, not a list")
    return value


def parse_score_info(info: Mapping[str, Any]) -> AnalysisResults:
    """Turn a ZIP's `score_info.json` (flat or region-nested per concern) into `AnalysisResults`."""
    scores: list[ConcernScore] = []
    skin_types: list[SkinTypeReading] = []
    try:
        for concern, value in info.items():
            if concern in _SUMMARY_KEYS:
                continue
            if isinstance(value, str):
                # A skin type given as a bare string rather than a region map (layout undocumented).
                skin_types.append(SkinTypeReading(concern=concern, region=WHOLE, skin_type=value))
                continue
            per_region = value if _is_region_map(value) else {WHOLE: value}
            for region, item in per_region.items():
                if "skin_type" in item:
                    skin_types.append(
                        SkinTypeReading(
                            concern=concern,
                            region=region,
                            skin_type=item["skin_type"],
                            mask=item.get("output_mask_name"),
                        )
                    )
                else:
                    scores.append(
                        ConcernScore(
                            concern=concern,
                            region=region,
                            raw_score=item["raw_score"],
                            ui_score=item["ui_score"],
                            mask=item.get("output_mask_name"),
                        )
                    )
        overall = info.get("all")
        skin_age = info.get("skin_age")
        return AnalysisResults(
            scores=tuple(scores),
            skin_types=tuple(skin_types),
            skin_age=round(skin_age) if isinstance(skin_age, int | float) else None,
            overall_score=overall.get("score") if isinstance(overall, dict) else None,
        )
    except (KeyError, TypeError, AttributeError, ValidationError) as error:
        raise _unexpected("score_info.json", error) from error


def _is_region_map(value: Mapping[str, Any]) -> bool:
    """A concern's value is a region map when its values are objects rather than scores."""
    return bool(value) and all(isinstance(item, dict) for item in value.values())


def read_zip(data: bytes) -> ZipResults:
    """Open a downloaded result ZIP and parse its `score_info.json`."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
        info = json.loads(files[SCORE_INFO])
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise _unexpected("result ZIP", error) from error
    return ZipResults(results=parse_score_info(info), files=files)


def parse_status(task_id: str, body: Mapping[str, Any]) -> TaskStatus:
    """Turn a 200 status-GET body into a `TaskStatus`."""
    data = body.get("data")
    if not isinstance(data, dict):
        raise _unexpected("status body", "no data object")
    try:
        state = TaskState(str(data.get("task_status")))
    except ValueError as error:
        raise _unexpected("task_status", data.get("task_status")) from error
    results = data.get("results")
    interval = data.get("polling_interval")
    status = TaskStatus(
        task_id=task_id,
        state=state,
        engine_error=data.get("error"),
        error_message=data.get("error_message"),
        polling_interval_ms=interval if isinstance(interval, int) else None,
    )
    if state is not TaskState.SUCCESS:
        return status
    # The schema says `{url}` for ZIP results, the provider's own example a bare string: accept both.
    if isinstance(results, str):
        return status.model_copy(update={"zip_url": results})
    if isinstance(results, dict) and isinstance(results.get("url"), str):
        return status.model_copy(update={"zip_url": results["url"]})
    if isinstance(results, dict) and "output" in results:
        return status.model_copy(update={"results": parse_json_output(results["output"])})
    raise _unexpected("success body", "results is neither {output} nor a ZIP URL")
