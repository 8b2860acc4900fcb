"""The two writes that race on one item during Wait For Webhook (DESIGN §2, the race rule).

The state machine stores its task token with `attribute_not_exists(webhook_at)`; the webhook sets `webhook_at`
and takes the stored token. Whichever happens second completes the wait at once.
"""

from __future__ import annotations

from skin_analysis.models.analysis import Analysis
from skin_analysis.models.status import AnalysisStatus


def rearm_webhook_wait(analysis_id: str) -> Analysis:
    """Forget a webhook seen while the task still ran, so the next wait sleeps instead of failing at once."""
    item = Analysis(analysis_id)
    item.update(
        actions=[Analysis.webhook_at.remove(), Analysis.task_token.remove()],
        condition=Analysis.status.is_in(AnalysisStatus.SUBMITTED, AnalysisStatus.RUNNING),
    )
    return item
