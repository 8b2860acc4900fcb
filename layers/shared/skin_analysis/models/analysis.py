"""The `Analyses` table: one item per analysis, keyed by `analysis_id` (the attribute contract of DESIGN §4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from skin_analysis.models.attributes import StatusAttribute


def utc_now() -> datetime:
    """The current time, timezone-aware, as every timestamp attribute stores it."""
    return datetime.now(UTC)


class PartnerCreatedIndex(GlobalSecondaryIndex["Analysis"]):
    """A partner's analyses, newest first (`GET /v1/analyses`)."""

    class Meta:
        index_name = "partner_id-created_at-index"
        projection = AllProjection()

    partner_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class StatusCreatedIndex(GlobalSecondaryIndex["Analysis"]):
    """Analyses by status, oldest first: the reconciler's view of what is stuck, and `replay`'s selection."""

    class Meta:
        index_name = "status-created_at-index"
        projection = AllProjection()

    status = StatusAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class Analysis(Model):
    """One photo's analysis, from upload to scores or a failure code."""

    class Meta:
        # Bound at cold start from the function's settings (models.tables.bind_tables), never at import.
        table_name: str | None = None

    analysis_id = UnicodeAttribute(hash_key=True)
    status = StatusAttribute()
    source_bucket = UnicodeAttribute(null=True)
    source_key = UnicodeAttribute(null=True)
    source_version = UnicodeAttribute(null=True)
    partner_id = UnicodeAttribute(null=True)
    quality = UnicodeAttribute()
    # pynamodb types `of` as the element's Python type, but it takes the element's attribute class
    dst_actions: ListAttribute[str] = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    normalized_key = UnicodeAttribute(null=True)
    task_id = UnicodeAttribute(null=True)
    error_code = UnicodeAttribute(null=True)
    error_message = UnicodeAttribute(null=True)
    # concern -> region -> {"raw_score": float, "ui_score": int}; region "whole" when the provider gives none
    scores: MapAttribute[str, Any] = MapAttribute(null=True)
    skin_type: MapAttribute[str, Any] = MapAttribute(null=True)
    skin_age = NumberAttribute(null=True)
    overall_score = NumberAttribute(null=True)
    # mask name (concern or concern_region) -> object key under analyses/<id>/masks/
    mask_keys: MapAttribute[str, Any] = MapAttribute(null=True)
    submit_started_at = UTCDateTimeAttribute(null=True)
    uncertain_submits = NumberAttribute(default=0)
    # Written by the state machine and the webhook with the low-level API; declared so reads see them.
    task_token = UnicodeAttribute(null=True)
    webhook_at = UTCDateTimeAttribute(null=True)
    # The task status a verified webhook reported with `webhook_at` ("success", "error", ...): on "success"
    # Check Status skips its GET, so a webhook that beat the stored token costs no third provider call.
    webhook_status = UnicodeAttribute(null=True)
    # When the terminal event (Completed or Failed) was accepted by EventBridge; unset means still owed.
    announced_at = UTCDateTimeAttribute(null=True)
    # Until when one step holds the right to publish the terminal event (models/announcement.py).
    announcing_until = UTCDateTimeAttribute(null=True)
    # How often `skin-analysis replay` reopened this analysis after a failure, and when it last did.
    replays = NumberAttribute(null=True)
    replayed_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute(default_for_new=utc_now)
    updated_at = UTCDateTimeAttribute(default=utc_now)
    expires_at = TTLAttribute(null=True)

    partner_created_index = PartnerCreatedIndex()
    status_created_index = StatusCreatedIndex()
