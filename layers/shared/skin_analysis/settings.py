"""One settings model per function, read from the environment the template gives it, validated at cold start.

Domain code never reads `os.environ`: handlers call `load_settings(<Model>)` once (cached) and pass values
down. Names of tables, buckets, queues and secrets have no defaults, so a missing one fails loudly with its
environment variable's name instead of silently talking to the wrong resource.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from skin_analysis.errors import SkinAnalysisError


class ConfigurationError(SkinAnalysisError):
    """Raised at cold start when a function's environment is missing a setting or holds an invalid one."""


class UncertainSubmitPolicy(StrEnum):
    """What the submitter does when a create may have reached the provider but its answer was lost."""

    RETRY = "retry"
    FAIL = "fail"


class SubmitVia(StrEnum):
    """How the provider receives the photo: a presigned GET URL (2 calls) or the File API (3 calls)."""

    PRESIGNED_URL = "presigned_url"
    FILE_API = "file_api"


class _FunctionSettings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)


class _AnalysesTable(_FunctionSettings):
    analyses_table: str = Field(min_length=1)


class _Events(_FunctionSettings):
    event_bus_name: str = Field(min_length=1)


class _Provider(_FunctionSettings):
    provider_base_url: str = Field(min_length=1)
    provider_api_version: Literal["v2.0", "v2.1"] = "v2.1"
    provider_api_key_secret_id: str = Field(min_length=1)
    provider_timeout_seconds: float = Field(default=10.0, gt=0)
    result_format: Literal["json", "zip"] = "json"


#: A slot granted just now frees one window plus the limiter's safety margin (1 s) later; a little beyond that.
READ_PERMIT_WINDOW_MARGIN_SECONDS = 2.0


class _RateLimit(_FunctionSettings):
    rate_limit_table: str = Field(min_length=1)
    rate_budget: int = Field(default=240, gt=0)
    rate_window_seconds: int = Field(default=300, gt=0)
    rate_read_reserve: int = Field(default=40, ge=0)


class IngestSettings(_AnalysesTable, _Events):
    """The S3 upload trigger: normalize, create the item, start the execution."""

    results_bucket: str = Field(min_length=1)
    state_machine_arn: str = Field(min_length=1)
    default_quality: Literal["sd", "hd"] = "sd"
    default_actions: Annotated[tuple[str, ...], NoDecode] = ()
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    max_image_pixels: int = Field(default=100_000_000, gt=0)
    retention_days: int = Field(default=30, gt=0)
    submission_timeout_seconds: int = Field(default=86_400, gt=0)

    @field_validator("default_actions", mode="before")
    @classmethod
    def _split_actions(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(action.strip() for action in value.split(",") if action.strip())
        return value


class SubmitterSettings(_AnalysesTable, _Provider, _RateLimit):
    """The SQS consumer that creates provider tasks inside the rate budget."""

    task_index_table: str = Field(min_length=1)
    results_bucket: str = Field(min_length=1)
    submit_via: SubmitVia = SubmitVia.PRESIGNED_URL
    uncertain_submit_policy: UncertainSubmitPolicy = UncertainSubmitPolicy.RETRY
    webhook_grace_seconds: int = Field(default=20, ge=1)
    presigned_url_ttl_seconds: int = Field(default=900, ge=60)
    create_permit_max_wait_seconds: float = Field(default=60.0, gt=0)
    # A submit marker younger than this may belong to an attempt still running (the function's timeout).
    submit_attempt_seconds: int = Field(default=180, gt=0)
    submission_queue_url: str = Field(min_length=1)
    submit_retry_delay_seconds: int = Field(default=30, ge=1, le=43_200)


class CheckStatusSettings(_AnalysesTable, _Provider, _RateLimit):
    """One status GET per wake-up, and the next delay of the wait/poll loop."""

    poll_initial_delay_seconds: int = Field(default=5, ge=1)
    poll_max_delay_seconds: int = Field(default=60, ge=1)
    analysis_deadline_seconds: int = Field(default=7200, gt=0)
    max_poll_attempts: int = Field(default=500, gt=0)


class FinalizeSettings(_AnalysesTable, _Events, _Provider, _RateLimit):
    """Result GET, mask copies, scores and the Completed event."""

    results_bucket: str = Field(min_length=1)
    # The task is charged already, so its read waits for a permit rather than hand its place in the limiter's
    # queue back (an abandoned ticket idles its slot for a window): up to a whole window, within the timeout.
    read_permit_max_wait_seconds: float = Field(default=90.0, gt=0)

    @property
    def read_permit_wait(self) -> float:
        """How long the result GET waits for a read permit: one window and its margin, at most the setting."""
        return min(self.read_permit_max_wait_seconds, self.rate_window_seconds + READ_PERMIT_WINDOW_MARGIN_SECONDS)


class RecordFailureSettings(_AnalysesTable, _Events):
    """FAILED with its code, and the Failed event."""


class WebhookSettings(_AnalysesTable):
    """Verifies Standard Webhooks deliveries and wakes the waiting execution."""

    task_index_table: str = Field(min_length=1)
    idempotency_table: str = Field(min_length=1)
    webhook_secret_id: str = Field(min_length=1)
    webhook_dedupe_seconds: int = Field(default=7 * 86_400, gt=0)


class _ImageUrlAllowList(_FunctionSettings):
    # Local stack only: exact host:port entries (its HTTPS fixture server) the image_url address guard lets through.
    image_url_allow_hosts: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("image_url_allow_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(host.strip() for host in value.split(",") if host.strip())
        return value


class _UploadWindow(_FunctionSettings):
    upload_url_ttl_seconds: int = Field(default=900, ge=60)
    # An item still AWAITING_UPLOAD this long after its upload URL expired reads as FAILED upload_missing (an
    # upload started just before the expiry may still be on its way through ingest).
    upload_grace_seconds: int = Field(default=120, ge=0)


class ApiSettings(_AnalysesTable, _ImageUrlAllowList, _UploadWindow):
    """The partner REST API."""

    partners_table: str = Field(min_length=1)
    idempotency_table: str = Field(min_length=1)
    uploads_bucket: str = Field(min_length=1)
    results_bucket: str = Field(min_length=1)
    download_url_ttl_seconds: int = Field(default=300, ge=60)
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    retention_days: int = Field(default=30, gt=0)


class ApiRequestSettings(_FunctionSettings):
    """What POST /v1/analyses needs besides ApiSettings: the image_url fetch queue and Idempotency-Key records."""

    fetch_queue_url: str = Field(min_length=1)
    # A retry with the same Idempotency-Key within this long gets the first answer back.
    idempotency_key_seconds: int = Field(default=86_400, gt=0)


class FetchImageSettings(_AnalysesTable, _Events, _ImageUrlAllowList):
    """The image_url fetcher: the guarded download, then the photo into the uploads bucket for ingest."""

    uploads_bucket: str = Field(min_length=1)
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    image_url_timeout_seconds: float = Field(default=20.0, gt=0)
    # Local stack only: the CA that signed its fixture server's certificate (AWS uses the public CAs).
    image_url_ca_bundle: str | None = None


class ApiErasureSettings(_Provider, _RateLimit):
    """What the partner API's DELETE needs besides ApiSettings: the task index and the provider (task delete).

    Loaded at the same cold start as ApiSettings; kept apart so the read routes never depend on provider settings.
    """

    task_index_table: str = Field(min_length=1)
    # The API answers within API Gateway's 29 s, so a provider delete waits only briefly for a read permit.
    provider_delete_permit_wait_seconds: float = Field(default=5.0, gt=0)


class ReconcileSettings(_AnalysesTable, _Events, _UploadWindow):
    """The scheduled sweep: the oldest non-terminal analysis's age, and FAILED for analyses nothing will end."""

    state_machine_arn: str = Field(min_length=1)
    # A live analysis untouched this long has its execution checked, and a missed upload is failed this long
    # after its window: long enough that an ingest between its item and its execution is never taken for dead.
    reconcile_stranded_after_seconds: int = Field(default=900, ge=1)


@cache
def load_settings[S: _FunctionSettings](model: type[S]) -> S:
    """Read and validate `model` from the environment once per execution environment."""
    try:
        return model()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'/'.join(str(part) for part in error['loc']).upper()}: {error['msg']}" for error in exc.errors()
        )
        raise ConfigurationError(f"{model.__name__} is misconfigured: {problems}") from exc
