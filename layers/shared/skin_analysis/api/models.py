"""The partner API's request and response bodies; they are what the OpenAPI document publishes.

Scores and errors reuse the event models (`ConcernScore`, `ErrorDetail`), so a partner reads the same shapes
from the API as a subscriber reads from the bus.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from skin_analysis.events import ConcernScore, ErrorDetail
from skin_analysis.models import AnalysisStatus
from skin_analysis.quality import Quality
from skin_analysis.remote_image import MAX_URL_LENGTH

if TYPE_CHECKING:
    from skin_analysis.partners import AnalysisReading, CreatedAnalysis, ListedAnalysis, StatusReading

PhotoContentType = Literal["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"]


class CreateAnalysisRequest(BaseModel):
    """What to analyse; the photo itself goes to the upload form the answer carries."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"quality": "sd", "dst_actions": ["wrinkle", "pore", "acne"]}]}
    )

    quality: Quality = Field(description="sd or hd; every action must be of this quality.")
    dst_actions: list[str] = Field(
        min_length=1,
        max_length=32,
        description="Concerns to analyse (SD: wrinkle, pore, ...; HD: hd_wrinkle, hd_pore, ...), no SD/HD mix.",
    )
    content_type: PhotoContentType = Field(
        default="image/jpeg", description="Type of the photo you will upload (decides the object's extension)."
    )
    image_url: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description=(
            "Instead of uploading: a public https URL we fetch the photo from (at most 3 redirects, the upload size "
            "limit, 20 s). Refused at once (400) for another scheme or a non-public address; a fetch that fails "
            "later ends the analysis FAILED download_failed."
        ),
    )


class UploadInstructions(BaseModel):
    """How to upload the photo: POST `fields` then the file (field `file`) as multipart/form-data to `url`."""

    url: str
    method: Literal["POST"] = "POST"
    fields: dict[str, str] = Field(description="Form fields to send first, unchanged.")
    expires_at: datetime = Field(description="The form is refused after this; the analysis then fails.")
    max_bytes: int = Field(description="Largest photo S3 accepts through this form.")


class CreatedAnalysisResponse(BaseModel):
    """A new analysis waiting for its photo."""

    analysis_id: str
    status: Literal[AnalysisStatus.AWAITING_UPLOAD] = AnalysisStatus.AWAITING_UPLOAD
    quality: Quality
    dst_actions: list[str]
    created_at: datetime
    upload: UploadInstructions | None = Field(
        description="The form to upload the photo with; null when image_url was given (we fetch the photo)."
    )

    @classmethod
    def of(cls, created: CreatedAnalysis, max_bytes: int) -> CreatedAnalysisResponse:
        """The 201 body for a created analysis."""
        item, form = created.analysis, created.upload
        return cls(
            analysis_id=item.analysis_id,
            quality=Quality(item.quality),
            dst_actions=list(item.dst_actions or []),
            created_at=item.created_at,
            upload=None
            if form is None
            else UploadInstructions(url=form.url, fields=form.fields, expires_at=form.expires_at, max_bytes=max_bytes),
        )


def _error(status: StatusReading) -> ErrorDetail | None:
    if status.error is None:
        return None
    return ErrorDetail(code=status.error.code, message=status.error.message, fix=status.error.fix)


class AnalysisSummary(BaseModel):
    """One analysis in a listing."""

    analysis_id: str
    status: AnalysisStatus
    quality: Quality
    dst_actions: list[str]
    created_at: datetime
    updated_at: datetime | None = None
    error: ErrorDetail | None = None

    @classmethod
    def of(cls, listed: ListedAnalysis) -> AnalysisSummary:
        """The listing entry of one analysis."""
        item = listed.item
        return cls(
            analysis_id=item.analysis_id,
            status=listed.status.status,
            quality=Quality(item.quality),
            dst_actions=list(item.dst_actions or []),
            created_at=item.created_at,
            updated_at=item.updated_at,
            error=_error(listed.status),
        )


class AnalysisList(BaseModel):
    """One page of the caller's analyses, newest first."""

    items: list[AnalysisSummary]
    next: str | None = Field(default=None, description="Pass as `next` for the following page; absent on the last.")


class AnalysisResponse(AnalysisSummary):
    """One analysis: its status, its error or its results, and short-lived URLs of the photo and masks."""

    upload_expires_at: datetime | None = Field(default=None, description="While AWAITING_UPLOAD: the form's expiry.")
    overall_score: float | None = None
    skin_age: int | None = None
    scores: dict[str, dict[str, ConcernScore]] = Field(
        default_factory=dict, description="concern -> region -> score; region 'whole' when the provider gives none"
    )
    skin_type: dict[str, str] = Field(default_factory=dict, description="region -> skin type")
    normalized_photo_url: str | None = Field(default=None, description="The photo as analysed (JPEG).")
    masks: dict[str, str] = Field(default_factory=dict, description="mask name -> URL (PNG or JPEG).")
    urls_expire_at: datetime | None = Field(default=None, description="When the URLs above stop working.")

    @classmethod
    def of_reading(cls, reading: AnalysisReading) -> AnalysisResponse:
        """The GET body of one analysis."""
        item = reading.item
        skin_age = item.skin_age
        return cls(
            analysis_id=item.analysis_id,
            status=reading.status.status,
            quality=Quality(item.quality),
            dst_actions=list(item.dst_actions or []),
            created_at=item.created_at,
            updated_at=item.updated_at,
            error=_error(reading.status),
            upload_expires_at=reading.upload_expires_at,
            overall_score=float(item.overall_score) if item.overall_score is not None else None,
            skin_age=round(skin_age) if skin_age is not None else None,
            scores=reading.scores,
            skin_type=reading.skin_type,
            normalized_photo_url=reading.normalized_photo_url,
            masks=reading.mask_urls,
            urls_expire_at=reading.urls_expire_at,
        )


class FieldProblem(BaseModel):
    """One invalid field of a request: where it is (body, query or path) and what is wrong with it."""

    field: str = Field(description="Dotted path, e.g. dst_actions or dst_actions.0 or limit.")
    location: Literal["body", "query", "path", "header"]
    message: str


class Problem(BaseModel):
    """An error as RFC 9457 problem details (`application/problem+json`), with our `code`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "analysis '0f3c...' not found",
                    "code": "not_found",
                }
            ]
        }
    )

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable machine-readable code (docs/partner-api.md lists them).")
    fix: str | None = Field(default=None, description="What to do about it, when there is something to do.")
    field: str | None = Field(default=None, description="The first invalid field, for 400 answers.")
    errors: list[FieldProblem] | None = Field(default=None, description="Every invalid field, for 400 answers.")
    request_id: str | None = Field(default=None, description="Quote it when asking for help.")
