"""Finalize Analysis: a finished task's scores and masks stored, the item SUCCEEDED, Completed announced once."""

from skin_analysis.finalize.completed_event import analysis_prefix, completed_event
from skin_analysis.finalize.finalize_analysis import FinalizeAnalysis, FinalizeOutcome, MissingTaskId
from skin_analysis.finalize.masks import DEFAULT_COPY_WORKERS, MaskCopier, mask_extension, mask_prefix
from skin_analysis.finalize.result import MaskSource, ProviderResult, fetch_result

__all__ = [
    "DEFAULT_COPY_WORKERS",
    "FinalizeAnalysis",
    "FinalizeOutcome",
    "MaskCopier",
    "MaskSource",
    "MissingTaskId",
    "ProviderResult",
    "analysis_prefix",
    "completed_event",
    "fetch_result",
    "mask_extension",
    "mask_prefix",
]
