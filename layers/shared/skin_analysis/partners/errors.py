"""Why a partner's request about an analysis cannot be served; the API maps each class to one HTTP answer."""

from __future__ import annotations

from skin_analysis.errors import SkinAnalysisError


class PartnerRequestError(SkinAnalysisError):
    """Base of the errors raised while serving a partner's request."""


class UnknownApiKey(PartnerRequestError):
    """Raised when the request carries no API key id, or one no partner is registered with."""


class AnalysisNotVisible(PartnerRequestError):
    """Raised when the analysis does not exist or belongs to another partner (the caller cannot tell which)."""

    def __init__(self, analysis_id: str) -> None:
        super().__init__(f"analysis {analysis_id!r} not found")
        self.analysis_id = analysis_id


class InvalidField(PartnerRequestError):
    """Raised when a request field passes its type check but breaks a rule of ours (SD/HD mix, bad cursor, ...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class InvalidAnalysisOptions(InvalidField):
    """Raised when quality and dst_actions are well-formed but not a valid request (unknown action, SD/HD mix)."""


class AnalysisInProgress(PartnerRequestError):
    """Raised by DELETE while the pipeline still works on the analysis; erasing now would race its writes."""

    def __init__(self, analysis_id: str, status: str) -> None:
        super().__init__(f"analysis {analysis_id} is {status}; it can be deleted once it is SUCCEEDED or FAILED")
        self.analysis_id = analysis_id
        self.status = status


class ErasureBlocked(PartnerRequestError):
    """Raised by DELETE when the erasure cannot finish now (provider unavailable, an object refused to go).

    The item is kept until everything else is gone, so a retried DELETE completes the erasure.
    """

    def __init__(self, analysis_id: str, reason: str, retry_after: float) -> None:
        super().__init__(f"analysis {analysis_id} cannot be erased now: {reason}")
        self.analysis_id = analysis_id
        self.reason = reason
        self.retry_after = retry_after
