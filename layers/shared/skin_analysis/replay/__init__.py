"""Re-driving failed analyses after an outage (`skin-analysis replay`): choose, reopen once, start a new execution."""

from skin_analysis.replay.plan import ReplayMode, ReplayPlan, plan_replay
from skin_analysis.replay.redrive import Replayer, ReplayOutcome, ReplayResult
from skin_analysis.replay.selection import ReplaySelection, failed_analyses

__all__ = [
    "ReplayMode",
    "ReplayOutcome",
    "ReplayPlan",
    "ReplayResult",
    "ReplaySelection",
    "Replayer",
    "failed_analyses",
    "plan_replay",
]
