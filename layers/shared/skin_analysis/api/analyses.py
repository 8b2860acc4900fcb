"""/v1/analyses: create, read, list and erase the caller's analyses.

Every route takes the caller from `current_partner` (the API key API Gateway accepted) and the use cases from
`current_services`; another partner's analysis is a 404 on every route, exactly like one that does not exist.
"""

# Powertools resolves these signatures at run time (validation, Depends, OpenAPI): their types stay real imports.
# ruff: noqa: TC001

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query

from skin_analysis.api.idempotency import HEADER, MAX_KEY_LENGTH
from skin_analysis.api.models import (
    AnalysisList,
    AnalysisResponse,
    AnalysisSummary,
    CreateAnalysisRequest,
    CreatedAnalysisResponse,
)
from skin_analysis.api.problems import problem_responses
from skin_analysis.api.services import ApiServices, current_partner, current_services
from skin_analysis.models import AnalysisStatus
from skin_analysis.partners import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PartnerIdentity

logger = Logger(child=True)
router = Router()  # type: ignore[no-untyped-call]  # Powertools leaves Router.__init__ unannotated

Caller = Annotated[PartnerIdentity, Depends(current_partner)]
Services = Annotated[ApiServices, Depends(current_services)]
AnalysisId = Annotated[str, Path(description="The id POST /v1/analyses returned.")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Any unique value per intended analysis (a UUID); a retry with it returns the first answer.",
    ),
]

_TAGS = ["analyses"]
_ALWAYS = (HTTPStatus.FORBIDDEN, HTTPStatus.INTERNAL_SERVER_ERROR)


@router.post(
    "/v1/analyses",
    summary="Create an analysis and get the form to upload its photo with (or give an image_url)",
    description=(
        "Creates the analysis (AWAITING_UPLOAD) and returns a presigned POST: send `upload.fields` and then the "
        "photo as field `file` (multipart/form-data) to `upload.url` before `upload.expires_at`. With `image_url` "
        "there is no form: we fetch the photo (public https only) and analyse it like an upload. The photo is "
        "analysed as soon as it lands; poll GET /v1/analyses/{analysis_id}. With an `Idempotency-Key` header, a "
        "retry returns the first answer and creates nothing; the same key with another body is a 422."
    ),
    tags=_TAGS,
    status_code=HTTPStatus.CREATED,
    responses={
        HTTPStatus.CREATED: {
            "description": "Created; upload the photo next (or wait for the fetch of image_url).",
            "content": {"application/json": {"model": CreatedAnalysisResponse}},
        },
        **problem_responses(
            HTTPStatus.BAD_REQUEST,
            HTTPStatus.CONFLICT,
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            HTTPStatus.UNPROCESSABLE_ENTITY,
            *_ALWAYS,
        ),
    },
)
def create_analysis(
    request: Annotated[CreateAnalysisRequest, Body(embed=False)],
    partner: Caller,
    services: Services,
    idempotency_key: IdempotencyKey = None,
) -> CreatedAnalysisResponse:
    """POST /v1/analyses."""

    def create() -> dict[str, Any]:
        created = services.create(
            partner, request.quality, request.dst_actions, request.content_type, request.image_url
        )
        logger.info(
            "analysis created",
            extra={
                "analysis_id": created.analysis.analysis_id,
                "partner_id": partner.partner_id,
                "photo_from": "upload" if created.upload else "image_url",
            },
        )
        return CreatedAnalysisResponse.of(created, services.max_upload_bytes).model_dump(mode="json")

    if idempotency_key is None:
        return CreatedAnalysisResponse.model_validate(create())
    services.idempotent_create.register_lambda_context(router.lambda_context)
    answer = services.idempotent_create(partner.partner_id, idempotency_key, request.model_dump(mode="json"), create)
    return CreatedAnalysisResponse.model_validate(answer)


@router.get(
    "/v1/analyses",
    summary="List your analyses, newest first",
    description="Pages of at most `limit` analyses; pass the answer's `next` to get the following page.",
    tags=_TAGS,
    responses={
        HTTPStatus.OK: {"description": "One page.", "content": {"application/json": {"model": AnalysisList}}},
        **problem_responses(HTTPStatus.BAD_REQUEST, *_ALWAYS),
    },
)
def list_analyses(
    partner: Caller,
    services: Services,
    status: Annotated[AnalysisStatus | None, Query(description="Only analyses in this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")] = DEFAULT_PAGE_SIZE,
    next_page: Annotated[
        str | None, Query(alias="next", max_length=512, description="The `next` of the previous page.")
    ] = None,
) -> AnalysisList:
    """GET /v1/analyses."""
    page = services.list(partner, status=status, limit=limit, cursor=next_page)
    return AnalysisList(items=[AnalysisSummary.of(listed) for listed in page.items], next=page.next_cursor)


@router.get(
    "/v1/analyses/<analysis_id>",
    summary="Read an analysis: status, error or scores, and URLs of its photo and masks",
    tags=_TAGS,
    responses={
        HTTPStatus.OK: {"description": "The analysis.", "content": {"application/json": {"model": AnalysisResponse}}},
        **problem_responses(HTTPStatus.NOT_FOUND, *_ALWAYS),
    },
)
def get_analysis(analysis_id: AnalysisId, partner: Caller, services: Services) -> AnalysisResponse:
    """GET /v1/analyses/{analysis_id}."""
    return AnalysisResponse.of_reading(services.read(partner, analysis_id))


@router.delete(
    "/v1/analyses/<analysis_id>",
    summary="Erase an analysis: photos, masks, records and the provider task",
    description=(
        "Idempotent: 204 whenever nothing of the analysis is left, including on a repeat. 409 while the pipeline "
        "still works on it (retry once it is SUCCEEDED or FAILED); 503 when the provider task could not be "
        "deleted yet (retry after Retry-After; nothing was erased)."
    ),
    tags=_TAGS,
    status_code=HTTPStatus.NO_CONTENT,
    responses={
        HTTPStatus.NO_CONTENT: {"description": "Erased (or already gone)."},
        **problem_responses(HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT, HTTPStatus.SERVICE_UNAVAILABLE, *_ALWAYS),
    },
)
def delete_analysis(analysis_id: AnalysisId, partner: Caller, services: Services) -> Response[None]:
    """DELETE /v1/analyses/{analysis_id}."""
    result = services.erase(partner, analysis_id)
    logger.info(
        "analysis erased",
        extra={
            "analysis_id": analysis_id,
            "partner_id": partner.partner_id,
            "outcome": result.outcome,
            "objects_deleted": result.objects_deleted,
            "provider_task_deleted": result.provider_task_deleted,
            "provider_task_skipped": result.provider_task_skipped,
        },
    )
    return Response(status_code=HTTPStatus.NO_CONTENT, content_type=None, body=None)
