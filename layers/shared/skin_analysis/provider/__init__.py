"""Perfect Corp AI Skin Analysis: the action catalogue, the HTTP client, its errors and typed results."""

from typing import TYPE_CHECKING

from skin_analysis.lazy import lazy_attributes
from skin_analysis.provider.actions import HD_ACTIONS, SD_ACTIONS, unit_cost, validate_actions
from skin_analysis.provider.errors import (
    AnalysisRejected,
    InsufficientCredit,
    InvalidActions,
    InvalidRequest,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderTaskTimeout,
    ProviderUnavailable,
    ResultUnavailable,
    SubmissionUncertain,
    TaskExpired,
)
from skin_analysis.provider.results import (
    AnalysisResults,
    ConcernScore,
    CreditLot,
    FeatureCost,
    SkinTypeReading,
    TaskState,
    TaskStatus,
    UploadSlot,
    ZipResults,
)

if TYPE_CHECKING:
    from skin_analysis.provider.client import (
        ApiVersion,
        CallBudget,
        CreatedTask,
        FileApi,
        MiniserverArgs,
        PerfectCorpClient,
        ResultFormat,
        Timeouts,
    )

__all__ = [
    "HD_ACTIONS",
    "SD_ACTIONS",
    "AnalysisRejected",
    "AnalysisResults",
    "ApiVersion",
    "CallBudget",
    "ConcernScore",
    "CreatedTask",
    "CreditLot",
    "FeatureCost",
    "FileApi",
    "InsufficientCredit",
    "InvalidActions",
    "InvalidRequest",
    "MiniserverArgs",
    "PerfectCorpClient",
    "ProviderAuthError",
    "ProviderError",
    "ProviderRateLimited",
    "ProviderTaskTimeout",
    "ProviderUnavailable",
    "ResultFormat",
    "ResultUnavailable",
    "SkinTypeReading",
    "SubmissionUncertain",
    "TaskExpired",
    "TaskState",
    "TaskStatus",
    "Timeouts",
    "UploadSlot",
    "ZipResults",
    "unit_cost",
    "validate_actions",
]

# The HTTP client, and `requests` with it, loads on first use: ingest, the partner API and Record Failure import
# this package for its catalogue and errors only, and their cold starts should not pay for a client they never build.
_CLIENT_NAMES = frozenset(
    {
        "ApiVersion",
        "CallBudget",
        "CreatedTask",
        "FileApi",
        "MiniserverArgs",
        "PerfectCorpClient",
        "ResultFormat",
        "Timeouts",
    }
)

__getattr__ = lazy_attributes(__name__, "skin_analysis.provider.client", _CLIENT_NAMES)
