"""The task index: provider task id -> analysis id, read with strong consistency by the webhook.

A GSI on `Analyses.task_id` would be eventually consistent, and a webhook can arrive milliseconds after the
submitter stored the task id; a table keyed by task id is read-after-write consistent.
"""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from skin_analysis.models.analysis import utc_now


class TaskIndexEntry(Model):
    """Which analysis a provider task belongs to."""

    class Meta:
        table_name: str | None = None

    task_id = UnicodeAttribute(hash_key=True)
    analysis_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute(default_for_new=utc_now)
    expires_at = TTLAttribute(null=True)
