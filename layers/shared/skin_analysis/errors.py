"""The error codes users see, each with what it means and how to fix it.

One table serves ingest, the state machine, the partner API, the events and the README's troubleshooting
section (a test keeps the README in step with it). Our own codes are snake_case members of `ErrorCode`; the
provider's engine codes (`error_src_face_too_small`, ...) are stored verbatim and explained by
`ENGINE_ERRORS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """Failure codes of our own, stored in `error_code` and sent in `Skin Analysis Failed` events."""

    UNSUPPORTED_FORMAT = "unsupported_format"
    CORRUPT_IMAGE = "corrupt_image"
    IMAGE_TOO_SMALL = "image_too_small"
    IMAGE_TOO_LARGE = "image_too_large"
    INVALID_OPTIONS = "invalid_options"
    DOWNLOAD_FAILED = "download_failed"
    UPLOAD_MISSING = "upload_missing"
    INVALID_REQUEST = "invalid_request"
    PROVIDER_AUTH_FAILED = "provider_auth_failed"
    INSUFFICIENT_CREDIT = "insufficient_credit"
    TASK_EXPIRED = "task_expired"
    PROVIDER_TASK_TIMEOUT = "provider_task_timeout"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    SUBMISSION_UNCERTAIN = "submission_uncertain"
    TIMEOUT = "timeout"
    EXECUTION_STOPPED = "execution_stopped"

    @property
    def meaning(self) -> str:
        """One line saying what went wrong."""
        return _OWN_ERRORS[self].meaning

    @property
    def fix(self) -> str:
        """One line saying what to do about it."""
        return _OWN_ERRORS[self].fix

    @property
    def retryable(self) -> bool:
        """Whether `skin-analysis replay` may re-drive an analysis that failed with this code."""
        return _OWN_ERRORS[self].retryable


@dataclass(frozen=True, slots=True)
class ErrorDescription:
    """What a stored error code means, what fixes it, and whether a replay can help."""

    code: str
    meaning: str
    fix: str
    retryable: bool = False


_PHOTO_GUIDANCE = (
    "Retake the photo: bright even light, face straight on and at least 60% of the image width, "
    "forehead visible, glasses off, nothing covering the face."
)

_OWN_ERRORS: dict[ErrorCode, ErrorDescription] = {
    ErrorCode(desc.code): desc
    for desc in (
        ErrorDescription(
            ErrorCode.UNSUPPORTED_FORMAT,
            "The file is not a JPEG, PNG, WebP or HEIC/HEIF image (judged from its bytes, not its name).",
            "Upload a JPEG, PNG, WebP or HEIC photo.",
        ),
        ErrorDescription(
            ErrorCode.CORRUPT_IMAGE,
            "The file is empty, truncated or cannot be decoded.",
            "Upload the photo again; check that the upload finished and the file opens on your computer.",
        ),
        ErrorDescription(
            ErrorCode.IMAGE_TOO_SMALL,
            "The photo's short side is below the quality's minimum (SD 480 px, HD 1080 px).",
            "Use a higher-resolution photo, or ask for SD quality if the photo is at least 480 px.",
        ),
        ErrorDescription(
            ErrorCode.IMAGE_TOO_LARGE,
            "The file exceeds the upload size limit or the pixel-count limit.",
            "Upload a photo under the configured size limit (MaxUploadBytes) and under 100 megapixels.",
        ),
        ErrorDescription(
            ErrorCode.INVALID_OPTIONS,
            "The requested quality or dst_actions are invalid (unknown action, SD and HD mixed, or empty).",
            "Send quality sd|hd and actions of that quality only; the README lists every action.",
        ),
        ErrorDescription(
            ErrorCode.DOWNLOAD_FAILED,
            "The image_url could not be fetched: a non-public address (at connect time or after a redirect), "
            "an HTTP error, too many redirects, over the size limit or too slow.",
            "Check that the URL is public https, answers within 20 s and serves a photo under the size limit, "
            "then create a new analysis (a replay cannot fetch it again).",
        ),
        ErrorDescription(
            ErrorCode.UPLOAD_MISSING,
            "No photo was uploaded before the upload URL expired.",
            "Create a new analysis and upload the photo before `upload.expires_at`.",
        ),
        ErrorDescription(
            ErrorCode.INVALID_REQUEST,
            "The provider refused the request as invalid (InvalidParameters or BadRequest).",
            "Check the stored error_message; it quotes the provider. Fix the options and submit again.",
        ),
        ErrorDescription(
            ErrorCode.PROVIDER_AUTH_FAILED,
            "The provider rejected the API key (invalid, inactive or expired).",
            "Put a valid key in the provider API key secret, run `skin-analysis doctor`, then `replay`.",
            retryable=True,
        ),
        ErrorDescription(
            ErrorCode.INSUFFICIENT_CREDIT,
            "The provider account has too few units for this analysis.",
            "Top up units in the provider console, then `skin-analysis replay --code insufficient_credit`.",
            retryable=True,
        ),
        ErrorDescription(
            ErrorCode.TASK_EXPIRED,
            "The provider no longer knows the task (Invalid task ID): it expired before its result was read.",
            "Submit the photo again; if this repeats, check that webhooks arrive and polling is not starved.",
            retryable=True,
        ),
        ErrorDescription(
            ErrorCode.PROVIDER_TASK_TIMEOUT,
            "The provider reported that the task execution timed out.",
            "Submit the photo again later; the provider's engine did not finish this task.",
            retryable=True,
        ),
        ErrorDescription(
            ErrorCode.PROVIDER_UNAVAILABLE,
            "The provider kept failing (5xx, timeouts or rate limiting) after every retry.",
            "Wait for the provider to recover, then `skin-analysis replay --code provider_unavailable`.",
            retryable=True,
        ),
        ErrorDescription(
            ErrorCode.SUBMISSION_UNCERTAIN,
            "A create request may have reached the provider but its answer was lost (policy `fail`).",
            "Check the provider console for an orphan task, then `skin-analysis replay` if none finished.",
            retryable=True,
        ),
        ErrorDescription(
            ErrorCode.TIMEOUT,
            "The analysis did not finish before the configured deadline (AnalysisDeadlineSeconds).",
            "Check provider status and webhook delivery, then `skin-analysis replay --code timeout`.",
            retryable=True,
        ),
        ErrorDescription(
            ErrorCode.EXECUTION_STOPPED,
            "The analysis's execution ended (stopped, timed out or failed) or never started, and nothing "
            "recorded a result; the reconciler found it stranded.",
            "Check why the execution stopped (Step Functions console), then "
            "`skin-analysis replay --code execution_stopped`.",
            retryable=True,
        ),
    )
}

ENGINE_ERRORS: dict[str, ErrorDescription] = {
    desc.code: desc
    for desc in (
        ErrorDescription(
            "error_below_min_image_size",
            "The provider found the photo too small (short side under 480 px SD / 1080 px HD).",
            "Use a higher-resolution photo or SD quality.",
        ),
        ErrorDescription(
            "error_exceed_max_image_size",
            "The provider found the photo's resolution too large.",
            "Use a photo of at most 4096 px on the long side.",
        ),
        ErrorDescription(
            "exceed_max_filesize",
            "The provider found the file over 10 MB.",
            "Upload a smaller file.",
        ),
        ErrorDescription(
            "error_src_face_too_small",
            "The face is narrower than 60% of the image width.",
            "Move closer or crop so the face fills 60-80% of the width. " + _PHOTO_GUIDANCE,
        ),
        ErrorDescription(
            "error_src_face_out_of_bound",
            "Part of the face is outside the frame.",
            "Centre the whole face in the frame. " + _PHOTO_GUIDANCE,
        ),
        ErrorDescription(
            "error_lighting_dark",
            "The photo is too dark.",
            "Use bright, even light without blown highlights. " + _PHOTO_GUIDANCE,
        ),
        ErrorDescription("error_no_face", "No face was found in the photo.", _PHOTO_GUIDANCE),
        ErrorDescription("error_pose", "The head is turned or tilted too far.", "Face the camera straight on."),
        ErrorDescription("error_large_face_angle", "The face angle is too large.", "Face the camera straight on."),
        ErrorDescription("error_multiple_people", "More than one person is in the photo.", "Photograph one face only."),
        ErrorDescription("error_face_parsing", "The provider could not map the face's regions.", _PHOTO_GUIDANCE),
        ErrorDescription(
            "error_decode_image",
            "The provider could not decode the photo.",
            "Upload the photo again as JPEG or PNG.",
        ),
        ErrorDescription(
            "error_download_image",
            "The provider could not download the photo.",
            "Retry; if it repeats, check the results bucket and the presigned URL lifetime.",
            retryable=True,
        ),
        ErrorDescription(
            "error_nsfw_content_detected",
            "The provider flagged the photo as inappropriate content.",
            "Upload a head-and-shoulders portrait.",
        ),
        ErrorDescription(
            "exceed_nsfw_retry_limits",
            "The provider refused after repeated inappropriate-content detections.",
            "Contact the provider's support with the task id.",
        ),
        ErrorDescription(
            "error_inference",
            "The provider's model failed on this photo.",
            "Retry later; if it repeats, retake the photo. " + _PHOTO_GUIDANCE,
            retryable=True,
        ),
        ErrorDescription(
            "unknown_internal_error",
            "The provider failed internally (often: the image bytes never reached it).",
            "Retry with `skin-analysis replay`; contact the provider's support if it repeats.",
            retryable=True,
        ),
    )
}

_UNKNOWN_ENGINE_FIX = "Check the provider's error-code list; " + _PHOTO_GUIDANCE


def describe_error(code: str) -> ErrorDescription:
    """Explain any stored `error_code`: one of ours, a known engine code, or an engine code we have not seen."""
    try:
        return _OWN_ERRORS[ErrorCode(code)]
    except ValueError:
        pass
    known = ENGINE_ERRORS.get(code)
    if known is not None:
        return known
    return ErrorDescription(code, f"The provider reported engine error {code!r}.", _UNKNOWN_ENGINE_FIX)


class SkinAnalysisError(Exception):
    """Base of every error the domain package raises on purpose."""
