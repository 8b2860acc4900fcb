"""The events we put on the bus: `Skin Analysis Completed` and `Skin Analysis Failed`, detail version "1".

The JSON Schemas in `schemas/` are the published contract; a test checks these models produce documents that
validate against them. Add fields freely; never rename or remove one without a new `version`.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

EVENT_SOURCE = "skin-analysis"
DETAIL_VERSION: Literal["1"] = "1"


class SourceObject(BaseModel):
    """The uploaded object the analysis came from."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str
    version: str | None = Field(default=None, description="S3 version id, else the ETag")


class ConcernScore(BaseModel):
    """A concern's score for one region; higher means healthier-looking skin for every concern."""

    model_config = ConfigDict(frozen=True)

    raw_score: float
    ui_score: int


class ResultLocation(BaseModel):
    """Where the full result lives."""

    model_config = ConfigDict(frozen=True)

    table: str
    bucket: str
    prefix: str = Field(description="analyses/<analysis_id>/")
    normalized_key: str | None = None
    mask_keys: dict[str, str] = Field(default_factory=dict)


class ErrorDetail(BaseModel):
    """What ended the analysis: a code from the README's troubleshooting table, a message and the fix."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    fix: str


class _AnalysisEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    detail_type: ClassVar[str]

    version: Literal["1"] = DETAIL_VERSION
    analysis_id: str
    partner_id: str | None = None
    source: SourceObject | None = None
    quality: Literal["sd", "hd"]
    dst_actions: list[str]
    occurred_at: datetime


class AnalysisCompleted(_AnalysisEvent):
    """Detail of `Skin Analysis Completed`: summary scores and where the full result is."""

    detail_type: ClassVar[str] = "Skin Analysis Completed"

    status: Literal["SUCCEEDED"] = "SUCCEEDED"
    overall_score: float | None = None
    skin_age: int | None = None
    scores: dict[str, dict[str, ConcernScore]] = Field(
        default_factory=dict, description="concern -> region -> score; region 'whole' when the provider gives none"
    )
    skin_type: dict[str, str] = Field(default_factory=dict, description="region -> skin type")
    result: ResultLocation


class AnalysisFailed(_AnalysisEvent):
    """Detail of `Skin Analysis Failed`: the error code, what it means and the fix."""

    detail_type: ClassVar[str] = "Skin Analysis Failed"

    status: Literal["FAILED"] = "FAILED"
    error: ErrorDetail


AnalysisEvent = AnalysisCompleted | AnalysisFailed
