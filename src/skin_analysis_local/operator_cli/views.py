"""How an analysis item is shown to an operator: one flat summary, with its error's meaning and fix."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from skin_analysis.errors import describe_error
from skin_analysis.partners.read_analysis import plain

if TYPE_CHECKING:
    from skin_analysis.models import Analysis


def item_summary(item: Analysis) -> dict[str, Any]:
    """What `status` prints (and `--json` returns): where the analysis is, what it found or why it failed."""
    summary: dict[str, Any] = {
        "analysis_id": item.analysis_id,
        "status": str(item.status),
        "quality": item.quality,
        "dst_actions": list(item.dst_actions or []),
        "partner_id": item.partner_id,
        "source": f"s3://{item.source_bucket}/{item.source_key}" if item.source_key else None,
        "task_id": item.task_id,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "replays": int(item.replays or 0),
    }
    if item.overall_score is not None or item.skin_age is not None:
        summary["overall_score"] = plain(item.overall_score)
        summary["skin_age"] = plain(item.skin_age)
        summary["concerns"] = sorted((plain(item.scores) or {}).keys())
        summary["masks"] = len(plain(item.mask_keys) or {})
    if item.error_code:
        described = describe_error(item.error_code)
        summary["error"] = {
            "code": item.error_code,
            "message": item.error_message,
            "meaning": described.meaning,
            "fix": described.fix,
            "retryable": described.retryable,
        }
    return summary
