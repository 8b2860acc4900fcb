"""Demo partners: issued through the same registry as `skin-analysis partner add`, one per tier."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skin_analysis.models import bind_tables
from skin_analysis.partners.registry import PartnerRegistry, usage_plans_by_tier

if TYPE_CHECKING:
    from mypy_boto3_apigateway import APIGatewayClient

# (partner id, tier): one partner per tier, so tests can prove isolation between two partners.
DEMO_PARTNERS = (("demo-partner-a", "basic"), ("demo-partner-b", "pro"))


def create_demo_partners(apigateway: APIGatewayClient, partners_table: str, outputs: dict[str, str]) -> dict[str, str]:
    """The demo partners, each with a fresh key: partner id -> API key value."""
    bind_tables(partners=partners_table)
    registry = PartnerRegistry(apigateway, usage_plans_by_tier(outputs))
    return {partner_id: registry.add(partner_id, tier).api_key for partner_id, tier in DEMO_PARTNERS}
