"""Partner analyses: their ids, and the one read every route uses so another partner's analysis is a 404."""

from __future__ import annotations

import re
import uuid

from skin_analysis.models import Analysis
from skin_analysis.partners.errors import AnalysisNotVisible

# The ids ingest accepts in partner keys (ingest/keys.py): ours are 32 hex digits, ingest's own are 64.
_ANALYSIS_ID = re.compile(r"[0-9a-f]{32,64}")


def new_analysis_id() -> str:
    """A fresh, unguessable analysis id (UUID4 as 32 hex digits): valid as an S3 key part and execution name."""
    return uuid.uuid4().hex


def is_analysis_id(value: str) -> bool:
    """Whether `value` has the shape of an analysis id (anything else cannot exist, so it is a 404)."""
    return _ANALYSIS_ID.fullmatch(value) is not None


def owned_analysis(analysis_id: str, partner_id: str) -> Analysis:
    """The caller's analysis, read with strong consistency; AnalysisNotVisible if missing or someone else's."""
    if not is_analysis_id(analysis_id):
        raise AnalysisNotVisible(analysis_id)
    try:
        item = Analysis.get(analysis_id, consistent_read=True)
    except Analysis.DoesNotExist:
        raise AnalysisNotVisible(analysis_id) from None
    if item.partner_id != partner_id:
        raise AnalysisNotVisible(analysis_id)
    return item


def find_analysis(analysis_id: str) -> Analysis | None:
    """The item with this id whoever owns it, or None (DELETE tells 'already gone' from 'not yours')."""
    if not is_analysis_id(analysis_id):
        return None
    try:
        return Analysis.get(analysis_id, consistent_read=True)
    except Analysis.DoesNotExist:
        return None
