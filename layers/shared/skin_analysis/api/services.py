"""What the routes work with, built once per execution environment, and the caller's identity per request.

The routes reach both through Powertools `Depends`, so tests can swap them with `app.dependency_overrides`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, cast

# Powertools reads `current_partner`'s signature at run time to inject the Request.
from aws_lambda_powertools.event_handler import Request  # noqa: TC002

from skin_analysis.api.idempotency import IdempotentCreate
from skin_analysis.partners import (
    CreatePartnerAnalysis,
    ErasePartnerAnalysis,
    ImageUrlIntake,
    ListPartnerAnalyses,
    PartnerDirectory,
    PartnerIdentity,
    ReadPartnerAnalysis,
    UploadForms,
    UploadWindow,
)
from skin_analysis.provider.factory import provider_client_from
from skin_analysis.remote_image import ImageUrlPolicy

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

    from skin_analysis.provider.client import PerfectCorpClient
    from skin_analysis.settings import ApiErasureSettings, ApiRequestSettings, ApiSettings


class ServicesNotConfigured(RuntimeError):
    """Raised when a route runs before the handler called `configure_services` (a wiring bug)."""


@dataclass(frozen=True, slots=True)
class ApiServices:
    """The use cases behind the routes, and the partner directory."""

    directory: PartnerDirectory
    create: CreatePartnerAnalysis
    idempotent_create: IdempotentCreate
    read: ReadPartnerAnalysis
    list: ListPartnerAnalyses
    erase: ErasePartnerAnalysis
    max_upload_bytes: int

    @classmethod
    def from_settings(
        cls,
        settings: ApiSettings,
        erasure: ApiErasureSettings,
        s3: S3Client,
        *,
        requests: ApiRequestSettings,
        sqs: SQSClient,
        provider: Callable[[], PerfectCorpClient] | None = None,
    ) -> ApiServices:
        """Wire the use cases from the function's settings; the provider client is built on first use."""
        window = UploadWindow(settings.upload_url_ttl_seconds, settings.upload_grace_seconds)
        forms = UploadForms(
            s3,
            settings.uploads_bucket,
            ttl_seconds=settings.upload_url_ttl_seconds,
            max_bytes=settings.max_upload_bytes,
        )
        return cls(
            directory=PartnerDirectory(),
            create=CreatePartnerAnalysis(
                forms,
                ImageUrlIntake(ImageUrlPolicy.of(settings.image_url_allow_hosts), sqs, requests.fetch_queue_url),
                retention_days=settings.retention_days,
            ),
            idempotent_create=IdempotentCreate(
                settings.idempotency_table, expires_after_seconds=requests.idempotency_key_seconds
            ),
            read=ReadPartnerAnalysis(
                s3, settings.results_bucket, window, url_ttl_seconds=settings.download_url_ttl_seconds
            ),
            list=ListPartnerAnalyses(window),
            erase=ErasePartnerAnalysis(
                s3,
                uploads_bucket=settings.uploads_bucket,
                results_bucket=settings.results_bucket,
                provider=provider or lazy_provider(erasure),
            ),
            max_upload_bytes=settings.max_upload_bytes,
        )


def lazy_provider(erasure: ApiErasureSettings) -> Callable[[], PerfectCorpClient]:
    """The provider client, built (secret read, limiter wired) only when a DELETE first needs it."""

    @cache
    def build() -> PerfectCorpClient:
        return provider_client_from(erasure, permit_max_wait=erasure.provider_delete_permit_wait_seconds)

    return build


_configured: list[ApiServices] = []


def configure_services(services: ApiServices) -> None:
    """Install the services the routes use (the handler calls it once at cold start)."""
    _configured[:] = [services]


def current_services() -> ApiServices:
    """The configured services (a `Depends` target)."""
    if not _configured:
        raise ServicesNotConfigured("configure_services() was not called before the first request")
    return _configured[0]


def current_partner(request: Request) -> PartnerIdentity:
    """The calling partner, from the API key API Gateway accepted (a `Depends` target); never from the request."""
    event = cast("APIGatewayProxyEvent", request.resolved_event)
    return current_services().directory.resolve(event.request_context.identity.api_key_id)
