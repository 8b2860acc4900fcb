"""pynamodb models of our tables, the status lifecycle and the one helper that changes a status."""

from skin_analysis.models.analysis import Analysis, utc_now
from skin_analysis.models.partner import Partner
from skin_analysis.models.status import TERMINAL_STATUSES, AnalysisStatus, is_legal_move
from skin_analysis.models.tables import bind_tables
from skin_analysis.models.task_index import TaskIndexEntry
from skin_analysis.models.transitions import (
    AnalysisAlreadyExists,
    AnalysisNotFound,
    IllegalTransition,
    StateConflict,
    create_analysis,
    transition,
)

__all__ = [
    "TERMINAL_STATUSES",
    "Analysis",
    "AnalysisAlreadyExists",
    "AnalysisNotFound",
    "AnalysisStatus",
    "IllegalTransition",
    "Partner",
    "StateConflict",
    "TaskIndexEntry",
    "bind_tables",
    "create_analysis",
    "is_legal_move",
    "transition",
    "utc_now",
]
