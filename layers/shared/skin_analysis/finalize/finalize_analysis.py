"""Finalize Analysis: store a finished task's result and announce it, once.

The result is read with one counted GET, every mask is copied into the results bucket (the provider's URLs
expire after 2 h), then one conditional update writes the scores and moves the item to SUCCEEDED, and only the
caller that made that move publishes `Skin Analysis Completed`. An analysis that has already ended (a duplicate
finalize, or a failure recorded first) is left as it is, except that a Completed event an earlier try could not
publish is published now (`announced_at` tells).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from skin_analysis.errors import SkinAnalysisError
from skin_analysis.finalize.completed_event import completed_event
from skin_analysis.finalize.result import fetch_result
from skin_analysis.models import Analysis, AnalysisNotFound, AnalysisStatus, IllegalTransition, transition
from skin_analysis.models.announcement import announce, lease_on_terminal_move, owes_announcement

if TYPE_CHECKING:
    from skin_analysis.events import EventPublisher
    from skin_analysis.finalize.masks import MaskCopier
    from skin_analysis.finalize.result import ProviderResult
    from skin_analysis.provider import PerfectCorpClient


class MissingTaskId(SkinAnalysisError):
    """Raised when neither the step's input nor the item names the provider task to finalize."""

    def __init__(self, analysis_id: str) -> None:
        super().__init__(f"analysis {analysis_id} has no task_id to finalize")
        self.analysis_id = analysis_id


@dataclass(frozen=True, slots=True)
class FinalizeOutcome:
    """What finalize did: the item's status afterwards and, when it was this call that ended it, what it stored."""

    analysis_id: str
    status: AnalysisStatus
    #: False when the analysis had already ended: nothing was changed and nothing published.
    finalized: bool
    mask_keys: dict[str, str]
    #: Masks the result named but the provider's ZIP did not hold.
    missing_masks: tuple[str, ...] = ()


class FinalizeAnalysis:
    """The use case behind the Finalize Analysis state; build once per execution environment."""

    def __init__(
        self,
        *,
        provider: PerfectCorpClient,
        masks: MaskCopier,
        publisher: EventPublisher,
        analyses_table: str,
        results_bucket: str,
    ) -> None:
        self._provider = provider
        self._masks = masks
        self._publisher = publisher
        self._table = analyses_table
        self._bucket = results_bucket

    def __call__(self, analysis_id: str, task_id: str | None = None) -> FinalizeOutcome:
        """Finalize `analysis_id` from provider task `task_id` (default: the item's own `task_id`)."""
        item = _read(analysis_id)
        if item.status.terminal:
            if item.status is AnalysisStatus.SUCCEEDED and owes_announcement(item):
                # An earlier try stored the result but its event was refused: publish it now.
                self._announce(item)
            return FinalizeOutcome(analysis_id, item.status, finalized=False, mask_keys={})
        task_id = task_id or item.task_id
        if not task_id:
            raise MissingTaskId(analysis_id)
        result = fetch_result(self._provider, task_id)
        mask_keys = self._masks.copy(analysis_id, result.masks)
        try:
            succeeded = transition(
                analysis_id,
                AnalysisStatus.SUCCEEDED,
                {**_result_attributes(result, mask_keys), **lease_on_terminal_move()},
            )
        except IllegalTransition as exc:
            if exc.current.terminal:
                # Another finalize, or a failure, got there between our read and our write.
                return FinalizeOutcome(analysis_id, exc.current, finalized=False, mask_keys={})
            raise
        self._announce(succeeded, leased=True)
        return FinalizeOutcome(analysis_id, AnalysisStatus.SUCCEEDED, True, mask_keys, result.missing)

    def _announce(self, item: Analysis, *, leased: bool = False) -> None:
        event = completed_event(item, table=self._table, bucket=self._bucket)
        announce(item.analysis_id, lambda: self._publisher.publish([event]), leased=leased)


def _read(analysis_id: str) -> Analysis:
    try:
        return Analysis.get(analysis_id, consistent_read=True)
    except Analysis.DoesNotExist as exc:
        raise AnalysisNotFound(analysis_id) from exc


def _result_attributes(result: ProviderResult, mask_keys: dict[str, str]) -> dict[str, object]:
    results = result.results
    return {
        "scores": results.score_map(),
        # One skin-type action per task (SD and HD never mix), so zone alone identifies a reading.
        "skin_type": {reading.region: reading.skin_type for reading in results.skin_types},
        "skin_age": results.skin_age,
        "overall_score": results.overall_score,
        "mask_keys": mask_keys,
    }
