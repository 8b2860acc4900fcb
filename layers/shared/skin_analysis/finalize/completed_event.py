"""The `Skin Analysis Completed` detail of a SUCCEEDED item: summary scores and where the full result is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from skin_analysis.events import AnalysisCompleted, ResultLocation
from skin_analysis.record_failure import event_subject

if TYPE_CHECKING:
    from skin_analysis.models import Analysis


def analysis_prefix(analysis_id: str) -> str:
    """`analyses/<analysis_id>/`: everything of one analysis in the results bucket."""
    return f"analyses/{analysis_id}/"


def completed_event(item: Analysis, *, table: str, bucket: str) -> AnalysisCompleted:
    """The detail announcing `item` (as written by the SUCCEEDED transition, every attribute present)."""
    skin_age = _plain(item.skin_age)
    overall = _plain(item.overall_score)
    return AnalysisCompleted(
        **event_subject(item),
        overall_score=float(overall) if overall is not None else None,
        skin_age=round(skin_age) if skin_age is not None else None,
        scores=_plain(item.scores) or {},
        skin_type=_plain(item.skin_type) or {},
        result=ResultLocation(
            table=table,
            bucket=bucket,
            prefix=analysis_prefix(item.analysis_id),
            normalized_key=item.normalized_key,
            mask_keys=_plain(item.mask_keys) or {},
        ),
    )


def _plain(value: Any) -> Any:
    """pynamodb hands untyped maps back as MapAttribute objects; the event wants plain dicts."""
    as_dict = getattr(value, "as_dict", None)
    return as_dict() if callable(as_dict) else value
