"""Demo partners: an API Gateway key per partner on its tier's usage plan, and its item in the Partners table."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

from skin_analysis.models import Partner, bind_tables

if TYPE_CHECKING:
    from mypy_boto3_apigateway import APIGatewayClient

# (partner id, tier): one partner per tier, so tests can prove isolation between two partners.
DEMO_PARTNERS = (("demo-partner-a", "basic"), ("demo-partner-b", "pro"))
_USAGE_PLAN_OUTPUT = re.compile(r"(\w+)UsagePlanId")


def usage_plans_by_tier(outputs: dict[str, str]) -> dict[str, str]:
    """Tier -> usage plan id, from the stack's `<Tier>UsagePlanId` outputs."""
    plans = {}
    for name, value in outputs.items():
        match = _USAGE_PLAN_OUTPUT.fullmatch(name)
        if match:
            plans[match.group(1).lower()] = value
    return plans


def create_partner(
    apigateway: APIGatewayClient, partners_table: str, usage_plan_id: str, partner_id: str, tier: str
) -> str:
    """Issue an API key for `partner_id` on the usage plan and record it in the Partners table; returns the key."""
    value = secrets.token_urlsafe(30)
    key = apigateway.create_api_key(name=partner_id, enabled=True, value=value, tags={"partner_id": partner_id})
    apigateway.create_usage_plan_key(usagePlanId=usage_plan_id, keyId=key["id"], keyType="API_KEY")
    bind_tables(partners=partners_table)
    Partner(api_key_id=key["id"], partner_id=partner_id, tier=tier).save()
    return value


def create_demo_partners(apigateway: APIGatewayClient, partners_table: str, outputs: dict[str, str]) -> dict[str, str]:
    """The demo partners, each with a fresh key: partner id -> API key value."""
    plans = usage_plans_by_tier(outputs)
    return {
        partner_id: create_partner(apigateway, partners_table, plans[tier], partner_id, tier)
        for partner_id, tier in DEMO_PARTNERS
    }
