"""Partner administration: an API Gateway key per partner on its tier's usage plan, and its Partners item.

Used by `skin-analysis partner add|list|remove` (on AWS or the local stack) and by the local stack's demo
partners. Never imported by a Lambda handler: the API only reads the Partners table (identity.py).
"""

from __future__ import annotations

import contextlib
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError

from skin_analysis.models import Partner
from skin_analysis.partners.errors import PartnerRequestError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from mypy_boto3_apigateway import APIGatewayClient

# Lowercase letters, digits, '-' and '_': safe in S3 keys (partners/<partner_id>/...) and readable in logs.
_PARTNER_ID: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_USAGE_PLAN_OUTPUT: Final = re.compile(r"(\w+)UsagePlanId")


class PartnerAdminError(PartnerRequestError):
    """Base of what `partner add|remove` refuses; the message says what to do instead."""


class InvalidPartnerId(PartnerAdminError):
    """Raised when a partner id is not 1-63 lowercase letters, digits, '-' or '_' starting with a letter or digit."""


class UnknownTier(PartnerAdminError):
    """Raised when the tier has no usage plan in the stack."""


class PartnerAlreadyExists(PartnerAdminError):
    """Raised by `add` for a partner that already has a key (remove it first to issue a new one)."""


@dataclass(frozen=True, slots=True)
class PartnerRecord:
    """One partner key as the Partners table knows it (the key's value is never stored there)."""

    partner_id: str
    tier: str
    api_key_id: str
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new partner key: its value is shown once, to hand to the partner."""

    record: PartnerRecord
    api_key: str


def usage_plans_by_tier(outputs: Mapping[str, str]) -> dict[str, str]:
    """Tier -> usage plan id, from the stack's `<Tier>UsagePlanId` outputs (BasicUsagePlanId -> basic)."""
    plans = {}
    for name, value in outputs.items():
        match = _USAGE_PLAN_OUTPUT.fullmatch(name)
        if match:
            plans[match.group(1).lower()] = value
    return plans


def check_partner_id(partner_id: str) -> str:
    """`partner_id` if it is a valid partner id, else InvalidPartnerId."""
    if _PARTNER_ID.fullmatch(partner_id) is None:
        raise InvalidPartnerId(
            f"partner id {partner_id!r} is invalid: use 1-63 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit."
        )
    return partner_id


class PartnerRegistry:
    """Issues, lists and revokes partner keys; the Partners table model must be bound to the stack's table."""

    def __init__(self, apigateway: APIGatewayClient, usage_plans: Mapping[str, str]) -> None:
        self._apigateway = apigateway
        self._plans = dict(usage_plans)

    @property
    def tiers(self) -> tuple[str, ...]:
        """The tiers the stack declares."""
        return tuple(sorted(self._plans))

    def add(self, partner_id: str, tier: str) -> IssuedKey:
        """Create an API key on the tier's usage plan and record key id -> partner; returns the key's value."""
        check_partner_id(partner_id)
        plan = self._plans.get(tier)
        if plan is None:
            raise UnknownTier(f"tier {tier!r} has no usage plan; the stack declares {', '.join(self.tiers)}.")
        if self.keys_of(partner_id):
            raise PartnerAlreadyExists(f"partner {partner_id} already has a key; remove it first to issue a new one.")
        value = secrets.token_urlsafe(30)
        key = self._apigateway.create_api_key(
            name=partner_id, enabled=True, value=value, tags={"partner_id": partner_id, "tier": tier}
        )
        key_id = key["id"]
        try:
            self._apigateway.create_usage_plan_key(usagePlanId=plan, keyId=key_id, keyType="API_KEY")
            item = Partner(api_key_id=key_id, partner_id=partner_id, tier=tier)
            item.save(condition=Partner.api_key_id.does_not_exist())
        except (ClientError, PutError):
            # Never leave a working key behind that maps to no partner (or a partner with no working key).
            self._delete_key(key_id)
            raise
        return IssuedKey(PartnerRecord(partner_id, tier, key_id, item.created_at), value)

    def partners(self) -> list[PartnerRecord]:
        """Every partner key, sorted by partner id."""
        records = [_record(item) for item in Partner.scan()]
        return sorted(records, key=lambda record: (record.partner_id, record.api_key_id))

    def keys_of(self, partner_id: str) -> list[PartnerRecord]:
        """The keys recorded for one partner."""
        return [_record(item) for item in Partner.partner_id_index.query(partner_id)]

    def remove(self, partner_id: str) -> list[PartnerRecord]:
        """Revoke every key of the partner (API Gateway refuses it at once), then forget them; returns them."""
        removed = self.keys_of(partner_id)
        for record in removed:
            self._delete_key(record.api_key_id)
            Partner(api_key_id=record.api_key_id).delete()
        return removed

    def _delete_key(self, key_id: str) -> None:
        with contextlib.suppress(self._apigateway.exceptions.NotFoundException):
            self._apigateway.delete_api_key(apiKey=key_id)


def _record(item: Partner) -> PartnerRecord:
    return PartnerRecord(item.partner_id, item.tier, item.api_key_id, item.created_at)
