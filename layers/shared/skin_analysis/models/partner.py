"""The `Partners` table: API Gateway key id -> partner, so the API never trusts a partner id from a request."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from skin_analysis.models.analysis import utc_now


class PartnerIdIndex(GlobalSecondaryIndex["Partner"]):
    """Find a partner's keys by partner id (`skin-analysis partner remove`)."""

    class Meta:
        index_name = "partner_id-index"
        projection = AllProjection()

    partner_id = UnicodeAttribute(hash_key=True)


class Partner(Model):
    """One API key of one partner, and the usage-plan tier it is attached to."""

    class Meta:
        table_name: str | None = None

    api_key_id = UnicodeAttribute(hash_key=True)
    partner_id = UnicodeAttribute()
    tier = UnicodeAttribute()
    created_at = UTCDateTimeAttribute(default_for_new=utc_now)

    partner_id_index = PartnerIdIndex()
