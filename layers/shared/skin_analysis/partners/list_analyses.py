"""GET /v1/analyses: the caller's analyses, newest first, filtered by status, in pages with an opaque cursor.

The cursor holds the position only (created_at and analysis_id of the last item returned); the partner half of
the key always comes from the caller, so a cursor can never open another partner's index partition.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from skin_analysis.models import Analysis, AnalysisStatus, utc_now
from skin_analysis.partners.errors import InvalidField
from skin_analysis.partners.ownership import is_analysis_id
from skin_analysis.partners.read_analysis import StatusReading, UploadWindow, status_reading

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime

    from pynamodb.expressions.condition import Condition

    from skin_analysis.partners.identity import PartnerIdentity

DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100
_CURSOR_FIELD: Final = "next"
_BAD_CURSOR: Final = "next is not a cursor this API returned; start again without it."
# Typed views of pynamodb's (unannotated) conversions, so the cursor holds created_at exactly as the index does.
_serialize_time: Callable[[datetime], str] = Analysis.created_at.serialize
_deserialize_time: Callable[[str], datetime] = Analysis.created_at.deserialize


@dataclass(frozen=True, slots=True)
class ListedAnalysis:
    """One analysis of a page and the status the partner sees."""

    item: Analysis
    status: StatusReading


@dataclass(frozen=True, slots=True)
class AnalysisPage:
    """Up to `limit` analyses and the cursor of the next page (None on the last page)."""

    items: list[ListedAnalysis]
    next_cursor: str | None


def encode_cursor(item: Analysis) -> str:
    """The opaque position just after `item`."""
    position = {"c": _serialize_time(item.created_at), "a": item.analysis_id}
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, partner_id: str) -> dict[str, dict[str, str]]:
    """The exclusive start key of the caller's index partition; InvalidField('next') for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
        created_at, analysis_id = position["c"], position["a"]
        if not (isinstance(created_at, str) and isinstance(analysis_id, str) and is_analysis_id(analysis_id)):
            raise InvalidField(_CURSOR_FIELD, _BAD_CURSOR)
        _deserialize_time(created_at)
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise InvalidField(_CURSOR_FIELD, _BAD_CURSOR) from exc
    return {"analysis_id": {"S": analysis_id}, "partner_id": {"S": partner_id}, "created_at": {"S": created_at}}


def _stored_statuses(wanted: AnalysisStatus) -> tuple[AnalysisStatus, ...]:
    """Stored statuses that can read as `wanted` (an AWAITING_UPLOAD item past its window reads as FAILED)."""
    if wanted is AnalysisStatus.FAILED:
        return (AnalysisStatus.FAILED, AnalysisStatus.AWAITING_UPLOAD)
    return (wanted,)


class ListPartnerAnalyses:
    """Pages through the partner GSI (partner_id, created_at) newest first."""

    def __init__(self, window: UploadWindow, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._window = window
        self._clock = clock

    def __call__(
        self,
        partner: PartnerIdentity,
        *,
        status: AnalysisStatus | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> AnalysisPage:
        """One page of the caller's analyses; `status` filters on the status the partner sees."""
        start = decode_cursor(cursor, partner.partner_id) if cursor else None
        condition: Condition | None = None
        if status is not None:
            condition = Analysis.status.is_in(*_stored_statuses(status))
        # One more than asked: whether it exists decides if there is a next page.
        results: Iterator[Analysis] = Analysis.partner_created_index.query(
            partner.partner_id,
            scan_index_forward=False,
            filter_condition=condition,
            last_evaluated_key=start,
            page_size=limit + 1,
        )
        now = self._clock()
        page: list[ListedAnalysis] = []
        for item in results:
            reading = status_reading(item, self._window, now)
            if status is not None and reading.status is not status:
                continue
            if len(page) == limit:
                return AnalysisPage(page, encode_cursor(page[-1].item))
            page.append(ListedAnalysis(item, reading))
        return AnalysisPage(page, None)
