"""When to look again, and when to stop: every wait/poll loop is bounded by attempts and by a deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class PollSchedule:
    """Delays of 5 s doubling to a 60 s cap (after the webhook grace), at most `max_attempts` checks."""

    initial_delay_seconds: int = 5
    max_delay_seconds: int = 60
    deadline_seconds: int = 7200
    max_attempts: int = 500

    def delay_after(self, attempt: int) -> int:
        """The wait after check number `attempt` (1 for the first check)."""
        exponent = min(max(attempt - 1, 0), 32)  # capped: no giant integers for absurd attempt counts
        return min(self.initial_delay_seconds << exponent, self.max_delay_seconds)

    def deadline_passed(self, started_at: datetime, now: datetime, attempt: int) -> bool:
        """True once the analysis has run past its deadline or used up its checks."""
        return now - started_at >= timedelta(seconds=self.deadline_seconds) or attempt >= self.max_attempts
