"""The submitter: one provider task per queued analysis, inside the rate budget, never charged twice by us."""

from skin_analysis.submission.deferrals import SubmissionDeferrals
from skin_analysis.submission.request import SubmissionRequest
from skin_analysis.submission.submit_analysis import RetryLater, SubmitAnalysis, SubmitOutcome

__all__ = ["RetryLater", "SubmissionDeferrals", "SubmissionRequest", "SubmitAnalysis", "SubmitOutcome"]
