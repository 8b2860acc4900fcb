"""Ends an analysis in FAILED with its code and announces it, once, whoever notices the failure first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from skin_analysis.errors import describe_error
from skin_analysis.events import AnalysisFailed, ErrorDetail, SourceObject
from skin_analysis.models import Analysis, AnalysisStatus, IllegalTransition, transition, utc_now
from skin_analysis.models.announcement import announce, lease_on_terminal_move, owes_announcement

if TYPE_CHECKING:
    from skin_analysis.events import EventPublisher


def record_failure(analysis_id: str, code: str, message: str, publisher: EventPublisher) -> Analysis | None:
    """Move the analysis to FAILED with `code` and publish `Skin Analysis Failed`.

    Returns the failed item, or None when the analysis had already ended (a duplicate: nothing is changed and
    nothing is published again, unless an earlier try failed to publish its Failed event).
    """
    try:
        item = transition(
            analysis_id,
            AnalysisStatus.FAILED,
            {"error_code": code, "error_message": message, **lease_on_terminal_move()},
        )
    except IllegalTransition as exc:
        if not exc.current.terminal:
            raise
        current = Analysis.get(analysis_id, consistent_read=True)
        if current.status is AnalysisStatus.FAILED and owes_announcement(current):
            announce_failure(current, publisher)
        return None
    announce_failure(item, publisher, leased=True)
    return item


def announce_failure(item: Analysis, publisher: EventPublisher, *, leased: bool = False) -> None:
    """Publish the Failed event of a FAILED item and record that it went out (`leased`: see `announce`)."""
    event = failed_event(item)
    announce(item.analysis_id, lambda: publisher.publish([event]), leased=leased)


def failed_event(item: Analysis) -> AnalysisFailed:
    """The `Skin Analysis Failed` detail of a FAILED item."""
    code = item.error_code or "unknown"
    described = describe_error(code)
    return AnalysisFailed(
        **event_subject(item),
        error=ErrorDetail(code=code, message=item.error_message or described.meaning, fix=described.fix),
    )


def event_subject(item: Analysis) -> dict[str, Any]:
    """The fields every terminal event of an analysis carries: which analysis, from where, asking for what."""
    return {
        "analysis_id": item.analysis_id,
        "partner_id": item.partner_id,
        "source": source_of(item),
        "quality": item.quality,
        "dst_actions": list(item.dst_actions or []),
        "occurred_at": item.updated_at or utc_now(),
    }


def source_of(item: Analysis) -> SourceObject | None:
    """The uploaded object an analysis came from, when it has one."""
    if item.source_bucket is None or item.source_key is None:
        return None
    return SourceObject(bucket=item.source_bucket, key=item.source_key, version=item.source_version)
