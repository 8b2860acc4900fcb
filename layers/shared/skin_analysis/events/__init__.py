"""Our EventBridge contract: event detail models and the publisher."""

from skin_analysis.events.details import (
    DETAIL_VERSION,
    EVENT_SOURCE,
    AnalysisCompleted,
    AnalysisEvent,
    AnalysisFailed,
    ConcernScore,
    ErrorDetail,
    ResultLocation,
    SourceObject,
)
from skin_analysis.events.publisher import EventPublisher, EventPublishFailed

__all__ = [
    "DETAIL_VERSION",
    "EVENT_SOURCE",
    "AnalysisCompleted",
    "AnalysisEvent",
    "AnalysisFailed",
    "ConcernScore",
    "ErrorDetail",
    "EventPublishFailed",
    "EventPublisher",
    "ResultLocation",
    "SourceObject",
]
