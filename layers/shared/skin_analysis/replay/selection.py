"""Which FAILED analyses a replay looks at: by error code (retryable ones by default) and failure time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from skin_analysis.errors import describe_error
from skin_analysis.models import Analysis, AnalysisStatus

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime


@dataclass(frozen=True, slots=True)
class ReplaySelection:
    """`codes` None means every code `describe_error` calls retryable; `since` bounds the failure time."""

    codes: frozenset[str] | None = None
    since: datetime | None = None

    def matches(self, item: Analysis) -> bool:
        """Whether a FAILED item is one this replay is about."""
        code = item.error_code or ""
        if self.codes is None:
            if not describe_error(code).retryable:
                return False
        elif code not in self.codes:
            return False
        # A FAILED item's updated_at is the moment it failed: nothing but a reopen writes it afterwards.
        return self.since is None or (item.updated_at is not None and item.updated_at >= self.since)


def failed_analyses(selection: ReplaySelection) -> Iterator[Analysis]:
    """Every FAILED analysis `selection` matches, oldest first (the status index, read page by page)."""
    for item in Analysis.status_created_index.query(AnalysisStatus.FAILED):
        if selection.matches(item):
            yield item
