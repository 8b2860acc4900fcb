"""Partner analyses: who is calling, and the use cases behind the partner REST API (create, read, list, erase).

`partners.registry` (API keys and usage plans) is for the CLI and the local stack; it is not exported here.
"""

from skin_analysis.partners.create_analysis import CreatedAnalysis, CreatePartnerAnalysis, checked_options
from skin_analysis.partners.erase_analysis import ErasePartnerAnalysis, Erasure, ErasureResult
from skin_analysis.partners.errors import (
    AnalysisInProgress,
    AnalysisNotVisible,
    ErasureBlocked,
    InvalidAnalysisOptions,
    InvalidField,
    PartnerRequestError,
    UnknownApiKey,
)
from skin_analysis.partners.identity import PartnerDirectory, PartnerIdentity
from skin_analysis.partners.image_url import (
    FetchOutcome,
    FetchPartnerImage,
    FetchRequest,
    ImageUrlIntake,
    InvalidImageUrl,
)
from skin_analysis.partners.list_analyses import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    AnalysisPage,
    ListedAnalysis,
    ListPartnerAnalyses,
)
from skin_analysis.partners.ownership import new_analysis_id, owned_analysis
from skin_analysis.partners.read_analysis import (
    AnalysisReading,
    ErrorReading,
    ReadPartnerAnalysis,
    StatusReading,
    UploadWindow,
)
from skin_analysis.partners.uploads import PHOTO_EXTENSIONS, UploadForm, UploadForms, partner_upload_key

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "PHOTO_EXTENSIONS",
    "AnalysisInProgress",
    "AnalysisNotVisible",
    "AnalysisPage",
    "AnalysisReading",
    "CreatePartnerAnalysis",
    "CreatedAnalysis",
    "ErasePartnerAnalysis",
    "Erasure",
    "ErasureBlocked",
    "ErasureResult",
    "ErrorReading",
    "FetchOutcome",
    "FetchPartnerImage",
    "FetchRequest",
    "ImageUrlIntake",
    "InvalidAnalysisOptions",
    "InvalidField",
    "InvalidImageUrl",
    "ListPartnerAnalyses",
    "ListedAnalysis",
    "PartnerDirectory",
    "PartnerIdentity",
    "PartnerRequestError",
    "ReadPartnerAnalysis",
    "StatusReading",
    "UnknownApiKey",
    "UploadForm",
    "UploadForms",
    "UploadWindow",
    "checked_options",
    "new_analysis_id",
    "owned_analysis",
    "partner_upload_key",
]
