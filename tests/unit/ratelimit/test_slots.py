"""Properties of the slot-ring arithmetic (pure functions, no store)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skin_analysis.ratelimit import RateLimitConfig, Ring, max_in_any_window
from skin_analysis.ratelimit.slots import (
    claim_cutoff,
    free_at,
    grants_in_window,
    ring_size,
    rings_for,
    slot_expires_at,
    slot_of,
    ticket_expires_at,
)


@st.composite
def configs(draw: st.DrawFn) -> RateLimitConfig:
    """Any valid config, reserve included."""
    budget = draw(st.integers(1, 500))
    return RateLimitConfig(
        budget=budget,
        window_s=draw(st.floats(0.5, 3600)),
        read_reserve=draw(st.integers(0, budget - 1)),
        safety_margin_s=draw(st.floats(0, 5)),
        ttl_slack_s=draw(st.integers(0, 86_400)),
    )


epochs = st.floats(1.6e9, 2.2e9)


@given(first=st.integers(0, 10**12), size=st.integers(1, 500))
def test_consecutive_tickets_claim_distinct_slots(first: int, size: int) -> None:
    # Given any run of `size` consecutive tickets, when each maps to its slot, then every slot is used once.
    assert sorted(slot_of(t, size) for t in range(first, first + size)) == list(range(size))


@given(config=configs())
def test_rings_split_the_budget(config: RateLimitConfig) -> None:
    # The reserve and the shared ring are disjoint and together hold exactly the budget.
    assert ring_size(Ring.RESERVE, config) + ring_size(Ring.SHARED, config) == config.budget
    assert ring_size(Ring.SHARED, config) == config.create_budget >= 1


@given(config=configs())
def test_creates_never_draw_on_the_reserve(config: RateLimitConfig) -> None:
    assert rings_for("create", config) == (Ring.SHARED,)
    reads = rings_for("read", config)
    assert reads[-1] is Ring.SHARED
    assert (Ring.RESERVE in reads) == (config.read_reserve > 0)


@given(config=configs(), granted_at=epochs, delta=st.floats(0, 10_000))
def test_a_slot_is_claimable_exactly_from_free_at(config: RateLimitConfig, granted_at: float, delta: float) -> None:
    # Given a slot last granted at `granted_at`, a claim at free_at passes the condition and any claim a window
    # (plus margin) earlier fails: that is what makes two grants on one slot more than a window apart.
    ready = free_at(granted_at, config)
    assert claim_cutoff(ready, config) >= granted_at
    assert claim_cutoff(ready + delta, config) >= granted_at
    assert ready - granted_at == pytest.approx(config.window_s + config.safety_margin_s, abs=1e-5)
    assert granted_at + config.window_s + config.safety_margin_s - 1e-3 < ready
    early = granted_at + config.window_s + config.safety_margin_s - 1e-3
    assert claim_cutoff(early, config) < granted_at


@given(config=configs(), granted_at=epochs)
def test_ttl_never_frees_a_slot_early(config: RateLimitConfig, granted_at: float) -> None:
    # DynamoDB deletes an item only after expires_at; deleting it before free_at would admit an early grant.
    assert slot_expires_at(granted_at, config) >= free_at(granted_at, config)
    assert ticket_expires_at(granted_at, config) >= granted_at + config.window_s


def _brute_max(times: list[float], window: float) -> int:
    return max((sum(1 for t in times if a <= t < a + window) for a in times), default=0)


@given(times=st.lists(st.floats(0, 100), max_size=60), window=st.floats(0.1, 50))
def test_max_in_any_window_matches_brute_force(times: list[float], window: float) -> None:
    # The busiest half-open window always starts at some grant, so trying each grant as a start is exhaustive.
    assert max_in_any_window(times, window) == _brute_max(times, window)


@given(times=st.lists(st.floats(0, 100), max_size=60), now=st.floats(0, 120), window=st.floats(0.1, 50))
def test_grants_in_window_counts_the_window_ending_now(times: list[float], now: float, window: float) -> None:
    assert grants_in_window(times, now, window) == len([t for t in times if now - window < t <= now])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"budget": 0}, "budget"),
        ({"budget": 10, "read_reserve": 10}, "read_reserve"),
        ({"read_reserve": -1}, "read_reserve"),
        ({"window_s": 0}, "window_s"),
        ({"safety_margin_s": -0.1}, "safety_margin_s"),
        ({"ttl_slack_s": -1}, "ttl_slack_s"),
    ],
)
def test_invalid_configs_fail_loudly(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RateLimitConfig(**kwargs)  # type: ignore[arg-type]
