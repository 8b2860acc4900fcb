"""The analysis lifecycle: statuses and the only moves allowed between them."""

from __future__ import annotations

from enum import StrEnum


class AnalysisStatus(StrEnum):
    """Where an analysis is; stored verbatim in the item's `status` attribute."""

    AWAITING_UPLOAD = "AWAITING_UPLOAD"
    RECEIVED = "RECEIVED"
    QUEUED = "QUEUED"
    SUBMITTED = "SUBMITTED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"

    @property
    def terminal(self) -> bool:
        """A terminal status never changes again, except when an operator replays a FAILED analysis."""
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({AnalysisStatus.SUCCEEDED, AnalysisStatus.FAILED})
NON_TERMINAL_STATUSES = frozenset(AnalysisStatus) - TERMINAL_STATUSES

# Each status lists the statuses it may be entered from. SUBMITTED -> SUCCEEDED is legal because the webhook
# can beat the first poll; any live status may fail; no transition leaves a terminal status (only reopen, below).
LEGAL_PREDECESSORS: dict[AnalysisStatus, frozenset[AnalysisStatus]] = {
    AnalysisStatus.AWAITING_UPLOAD: frozenset(),
    AnalysisStatus.RECEIVED: frozenset({AnalysisStatus.AWAITING_UPLOAD}),
    AnalysisStatus.QUEUED: frozenset({AnalysisStatus.RECEIVED}),
    AnalysisStatus.SUBMITTED: frozenset({AnalysisStatus.QUEUED}),
    AnalysisStatus.RUNNING: frozenset({AnalysisStatus.SUBMITTED}),
    AnalysisStatus.SUCCEEDED: frozenset({AnalysisStatus.SUBMITTED, AnalysisStatus.RUNNING}),
    AnalysisStatus.FAILED: NON_TERMINAL_STATUSES,
}

# The one way out of a terminal status: `skin-analysis replay` reopens a FAILED analysis (models.transitions.reopen),
# never through `transition`. QUEUED submits a new task; SUBMITTED resumes polling the task the item already has.
REOPENED_FROM = AnalysisStatus.FAILED
REOPEN_TARGETS = frozenset({AnalysisStatus.QUEUED, AnalysisStatus.SUBMITTED})

# Statuses an item may be created in (a partner analysis waits for its upload; an S3 upload arrives at once).
INITIAL_STATUSES = frozenset({AnalysisStatus.AWAITING_UPLOAD, AnalysisStatus.RECEIVED})


def is_legal_move(current: AnalysisStatus, target: AnalysisStatus) -> bool:
    """Whether an item in `current` may move to `target`."""
    return current in LEGAL_PREDECESSORS[target]
