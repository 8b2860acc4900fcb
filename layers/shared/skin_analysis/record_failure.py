"""Ends an analysis in FAILED with its code and announces it, once, whoever notices the failure first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skin_analysis.errors import describe_error
from skin_analysis.events import AnalysisFailed, ErrorDetail, SourceObject
from skin_analysis.models import AnalysisStatus, IllegalTransition, transition, utc_now

if TYPE_CHECKING:
    from skin_analysis.events import EventPublisher
    from skin_analysis.models import Analysis


def record_failure(analysis_id: str, code: str, message: str, publisher: EventPublisher) -> Analysis | None:
    """Move the analysis to FAILED with `code` and publish `Skin Analysis Failed`.

    Returns the failed item, or None when the analysis had already ended (a duplicate: nothing is changed and
    nothing is published, so every failure is announced once).
    """
    try:
        item = transition(analysis_id, AnalysisStatus.FAILED, {"error_code": code, "error_message": message})
    except IllegalTransition as exc:
        if exc.current.terminal:
            return None
        raise
    publisher.publish([failed_event(item)])
    return item


def failed_event(item: Analysis) -> AnalysisFailed:
    """The `Skin Analysis Failed` detail of a FAILED item."""
    code = item.error_code or "unknown"
    return AnalysisFailed(
        analysis_id=item.analysis_id,
        partner_id=item.partner_id,
        source=_source_of(item),
        quality=item.quality,
        dst_actions=list(item.dst_actions or []),
        occurred_at=item.updated_at or utc_now(),
        error=ErrorDetail(
            code=code, message=item.error_message or describe_error(code).meaning, fix=describe_error(code).fix
        ),
    )


def _source_of(item: Analysis) -> SourceObject | None:
    if item.source_bucket is None or item.source_key is None:
        return None
    return SourceObject(bucket=item.source_bucket, key=item.source_key, version=item.source_version)
