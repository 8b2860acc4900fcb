"""The poll side of the wait loop: one status GET per wake-up, the next delay and the deadline."""

from skin_analysis.polling.check_status import CheckStatus, Progress
from skin_analysis.polling.schedule import PollSchedule

__all__ = ["CheckStatus", "PollSchedule", "Progress"]
