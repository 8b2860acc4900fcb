"""The poll schedule: 5 s doubling to a 60 s cap, bounded by attempts and by a deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from skin_analysis.polling import PollSchedule

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_delays_double_from_the_initial_delay_to_the_cap() -> None:
    schedule = PollSchedule(initial_delay_seconds=5, max_delay_seconds=60)
    assert [schedule.delay_after(attempt) for attempt in range(1, 8)] == [5, 10, 20, 40, 60, 60, 60]


@given(st.integers(min_value=0, max_value=10**9), st.integers(1, 600), st.integers(1, 3600))
def test_a_delay_is_never_below_the_initial_nor_above_the_cap(attempt: int, initial: int, cap: int) -> None:
    delay = PollSchedule(initial_delay_seconds=initial, max_delay_seconds=cap).delay_after(attempt)
    assert min(initial, cap) <= delay <= cap


def test_the_deadline_passes_at_its_time_or_at_the_last_attempt() -> None:
    schedule = PollSchedule(deadline_seconds=7200, max_attempts=500)
    assert not schedule.deadline_passed(START, START + timedelta(seconds=7199), attempt=499)
    assert schedule.deadline_passed(START, START + timedelta(seconds=7200), attempt=1)
    assert schedule.deadline_passed(START, START + timedelta(seconds=1), attempt=500)
