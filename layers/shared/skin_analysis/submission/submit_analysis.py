"""Submit one queued analysis: permit, in-flight marker, create, task id + index, then answer the execution.

The provider has no idempotency key and charges every task that succeeds, so a create is only repeated when
it provably never reached the provider. Anything else is an uncertain submit, handled by the stack's
`UncertainSubmitPolicy` and counted on the item (DESIGN §2, "Submitting safely").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from skin_analysis.models import Analysis, AnalysisStatus, IllegalTransition, utc_now
from skin_analysis.models.submission import (
    SubmitInFlight,
    clear_submit_started,
    count_uncertain_submit,
    mark_submit_started,
    record_submitted_task,
)
from skin_analysis.models.wait import claim_early_webhook
from skin_analysis.provider import (
    InsufficientCredit,
    InvalidActions,
    InvalidRequest,
    ProviderAuthError,
    ProviderRateLimited,
    ProviderUnavailable,
    SubmissionUncertain,
)
from skin_analysis.provider.client import ResultFormat
from skin_analysis.ratelimit import RateBudgetExhausted
from skin_analysis.settings import SubmitVia, UncertainSubmitPolicy

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from skin_analysis.callbacks import TaskCallbacks
    from skin_analysis.provider import PerfectCorpClient
    from skin_analysis.settings import SubmitterSettings
    from skin_analysis.submission.request import SubmissionRequest

# The provider refused the request itself: no task exists, no unit was charged, asking again cannot help.
_DEFINITE_REJECTIONS = (InvalidRequest, InvalidActions, InsufficientCredit, ProviderAuthError)
# The create never reached the provider (nothing processed): the message comes back and we try again.
_NEVER_SENT = (ProviderRateLimited, ProviderUnavailable)


class SubmitOutcome(StrEnum):
    """What one submission message led to."""

    SUBMITTED = "submitted"
    ALREADY_SUBMITTED = "already_submitted"
    FAILED = "failed"
    RETRY_LATER = "retry_later"
    ABANDONED = "abandoned"


class RetryLater(Exception):
    """The message must come back later: nothing was charged yet, or the policy allows one resubmit.

    `delay_seconds` is when (None: the stack's submit retry delay).
    """

    def __init__(self, reason: str, delay_seconds: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay_seconds = delay_seconds


@dataclass(frozen=True, slots=True)
class _Failure:
    error: str
    message: str
    code: str


class SubmitAnalysis:
    """Creates the provider task of one QUEUED analysis and completes its Queue For Submission wait."""

    def __init__(
        self,
        settings: SubmitterSettings,
        client: PerfectCorpClient,
        s3: S3Client,
        callbacks: TaskCallbacks,
    ) -> None:
        self._settings = settings
        self._client = client
        self._s3 = s3
        self._callbacks = callbacks

    def __call__(self, request: SubmissionRequest) -> SubmitOutcome:
        """Submit; raises RetryLater when the message should be delivered again later."""
        item = Analysis.get(request.analysis_id, consistent_read=True)
        if item.task_id:
            # A redelivery after the create succeeded: answer again, never create (and charge) again.
            claim_early_webhook(item.task_id, request.analysis_id)
            self._succeed(request, item.task_id)
            return SubmitOutcome.ALREADY_SUBMITTED
        if item.status is not AnalysisStatus.QUEUED:
            self._fail(request, _Failure("AnalysisNotQueued", f"The analysis is {item.status}.", "invalid_request"))
            return SubmitOutcome.ABANDONED
        if item.submit_started_at is not None:
            failure = self._after_interrupted_attempt(item)
            if failure is not None:
                self._fail(request, failure)
                return SubmitOutcome.FAILED
        return self._submit(item, request)

    def _after_interrupted_attempt(self, item: Analysis) -> _Failure | None:
        """An earlier attempt marked the item but recorded no task: still running, or died after sending."""
        assert item.submit_started_at is not None
        if utc_now() - item.submit_started_at < timedelta(seconds=self._settings.submit_attempt_seconds):
            raise RetryLater("another submit attempt may still be running")
        return self._uncertain(item.analysis_id, "an earlier submit attempt ended before its answer")

    def _submit(self, item: Analysis, request: SubmissionRequest) -> SubmitOutcome:
        try:
            task_id = self._create(item)
        except SubmitInFlight as exc:
            raise RetryLater(str(exc)) from exc
        except RateBudgetExhausted as exc:
            clear_submit_started(item.analysis_id)
            raise RetryLater(f"no create permit within the wait: {exc}", exc.retry_after) from exc
        except _DEFINITE_REJECTIONS as exc:
            clear_submit_started(item.analysis_id)
            self._fail(request, _Failure(type(exc).__name__, str(exc), exc.code))
            return SubmitOutcome.FAILED
        except _NEVER_SENT as exc:
            clear_submit_started(item.analysis_id)
            raise RetryLater(f"the create never reached the provider: {exc}") from exc
        except SubmissionUncertain as exc:
            failure = self._uncertain(item.analysis_id, str(exc))
            if failure is None:
                raise RetryLater("uncertain submit: retrying once, as the policy says") from exc
            self._fail(request, failure)
            return SubmitOutcome.FAILED
        try:
            record_submitted_task(item.analysis_id, task_id)
        except IllegalTransition as exc:
            current = Analysis.get(item.analysis_id, consistent_read=True)
            if not current.task_id:
                raise
            # Another delivery recorded its task first; ours is an orphan the provider will also run.
            self._succeed(request, current.task_id)
            raise RetryLater(f"duplicate create: task {task_id} is an orphan of {current.task_id}") from exc
        # A webhook may have beaten the create's answer (it found no task index entry and left a marker).
        claim_early_webhook(task_id, item.analysis_id)
        self._succeed(request, task_id)
        return SubmitOutcome.SUBMITTED

    def _create(self, item: Analysis) -> str:
        """Upload (File API) or presign the normalized photo, mark the item, create the task.

        The client takes a "create" permit before each counted call, waiting inside this invocation.
        """
        if not item.normalized_key:
            raise InvalidRequest("The analysis has no normalized photo to submit.")
        file_id = url = None
        if self._settings.submit_via is SubmitVia.FILE_API:
            photo = self._s3.get_object(Bucket=self._settings.results_bucket, Key=item.normalized_key)["Body"].read()
            file_id = self._client.upload_file(photo, content_type="image/jpeg", file_name=f"{item.analysis_id}.jpg")
        else:
            url = self._presigned_url(item.normalized_key)
        mark_submit_started(item.analysis_id)
        created = self._client.create_task(
            dst_actions=list(item.dst_actions or []),
            src_file_id=file_id,
            src_file_url=url,
            result_format=ResultFormat(self._settings.result_format),
        )
        return created.task_id

    def _presigned_url(self, key: str) -> str:
        return self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._settings.results_bucket, "Key": key},
            ExpiresIn=self._settings.presigned_url_ttl_seconds,
        )

    def _uncertain(self, analysis_id: str, reason: str) -> _Failure | None:
        """Count an uncertain submit; the failure to report, or None when the policy allows one more try."""
        count = count_uncertain_submit(analysis_id)
        if self._settings.uncertain_submit_policy is UncertainSubmitPolicy.RETRY and count <= 1:
            return None
        return _Failure(
            SubmissionUncertain.__name__,
            f"The provider may have created a task that we could not record ({reason}); "
            f"{count} uncertain submit(s) so far.",
            SubmissionUncertain.error_code.value,
        )

    def _succeed(self, request: SubmissionRequest, task_id: str) -> None:
        output = {"task_id": task_id, "attempt": 0, "delay_seconds": self._settings.webhook_grace_seconds}
        self._callbacks.succeed(request.task_token, output)

    def _fail(self, request: SubmissionRequest, failure: _Failure) -> None:
        self._callbacks.fail(request.task_token, failure.error, failure.message, failure.code)
