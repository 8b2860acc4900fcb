"""The unit endpoints: balance (`/s2s/v1.0/client/credit`) and prices (`/s2s/v2.0/credit/feature-cost`)."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from skin_analysis.provider.actions import unit_cost
from skin_analysis.quality import Quality
from skin_analysis_local.simulator.wire import Response, invalid_parameters, json_response

if TYPE_CHECKING:
    from skin_analysis_local.simulator.pipeline import Context

_TIERS = ((1, 4), (5, 8), (9, 12), (13, 16))
_MAX_PAGE = 20


def get_credit(ctx: Context) -> Response:
    """The key's unit lots."""
    with ctx.state.lock:
        lots = [
            {
                "id": lot.id,
                "type": lot.type,
                "amount": int(lot.amount),
                "amount_dec": round(lot.amount, 2),
                "expiry": lot.expiry_ms,
            }
            for lot in ctx.state.accounts.get(ctx.api_key, [])
        ]
    return json_response(200, {"status": 200, "results": lots})


def _skus(base_url: str) -> list[dict[str, object]]:
    return [
        {
            "description": f"AI Skin Analysis for {quality.name} {low}~{high} concerns",
            "amount": unit_cost(quality, high),
            "unit": "result_image",
            "proc_unit": 1,
            "run_task_url": f"{base_url}/s2s/{version}/task/skin-analysis",
        }
        for version in ("v2.0", "v2.1")
        for quality in Quality
        for low, high in _TIERS
    ]


def get_feature_cost(ctx: Context) -> Response:
    """Every skin-analysis SKU, paged by `page_size` (1-20) and `starting_token` (base64 of the offset)."""
    raw_size, token = ctx.request.query_value("page_size"), ctx.request.query_value("starting_token")
    try:
        size = int(raw_size) if raw_size else _MAX_PAGE
        offset = int(base64.b64decode(token + "=" * (-len(token) % 4))) if token else 0
    except (ValueError, binascii.Error):
        return invalid_parameters()
    if not 1 <= size <= _MAX_PAGE or offset < 0:
        return invalid_parameters()
    skus = _skus(ctx.base_url)
    end = offset + size
    next_token = base64.b64encode(str(end).encode()).decode().rstrip("=") if end < len(skus) else None
    return json_response(200, {"status": 200, "result": {"next_token": next_token, "skus": skus[offset:end]}})
