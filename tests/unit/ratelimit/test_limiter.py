"""The limiter's behaviour on an in-memory store and a fake clock: waits, reserve, retry_after, headroom."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skin_analysis.errors import SkinAnalysisError
from skin_analysis.ratelimit import (
    Kind,
    Permit,
    RateBudgetExhausted,
    RateLimitConfig,
    RateLimiter,
    Ring,
    max_in_any_window,
)
from skin_analysis.ratelimit.slots import free_at, slot_expires_at
from tests.unit.ratelimit.fakes import FakeClock, InMemorySlotStore

if TYPE_CHECKING:
    from skin_analysis.provider.client import CallBudget as ClientHook

CONFIG = RateLimitConfig(budget=10, window_s=30.0, read_reserve=3, safety_margin_s=0.5)


def _limiter(config: RateLimitConfig = CONFIG) -> tuple[RateLimiter, InMemorySlotStore, FakeClock]:
    store, clock = InMemorySlotStore(), FakeClock()
    return RateLimiter(store, config, clock=clock, sleep=clock.sleep), store, clock


def test_rate_budget_exhausted_is_a_domain_error() -> None:
    assert issubclass(RateBudgetExhausted, SkinAnalysisError)
    assert RateBudgetExhausted(-1.0).retry_after == 0.0


def test_reads_may_use_the_whole_budget_at_once() -> None:
    limiter, _, clock = _limiter()
    permits = [limiter.acquire("read", max_wait=0) for _ in range(CONFIG.budget)]
    assert {p.ring for p in permits} == {Ring.RESERVE, Ring.SHARED}
    assert clock.sleeps == []
    with pytest.raises(RateBudgetExhausted):
        limiter.acquire("read", max_wait=0)


def test_creates_stop_at_the_budget_minus_the_reserve_and_reads_still_pass() -> None:
    # Given creates that took every grant they may take
    limiter, _, clock = _limiter()
    first = limiter.acquire("create", max_wait=0)
    clock.now += 2.0
    for _ in range(CONFIG.create_budget - 1):
        limiter.acquire("create", max_wait=0)
    # When another create asks with too short a wait, then it fails at once with the moment the oldest leaves
    with pytest.raises(RateBudgetExhausted) as caught:
        limiter.acquire("create", max_wait=5.0)
    assert caught.value.retry_after == pytest.approx(free_at(first.granted_at, CONFIG) - clock.now)
    assert clock.sleeps == []
    # And every read of the reserve is still granted immediately
    reads = [limiter.acquire("read", max_wait=0) for _ in range(CONFIG.read_reserve)]
    assert all(p.ring is Ring.RESERVE and p.waited_s == 0 for p in reads)


def test_a_waiting_create_sleeps_once_until_the_slot_frees() -> None:
    # Given a full shared ring
    limiter, store, clock = _limiter()
    granted = [limiter.acquire("create", max_wait=0) for _ in range(CONFIG.create_budget)]
    claims_before = store.claims
    # When one more create may wait long enough, then it sleeps exactly until the first grant leaves the window
    permit = limiter.acquire("create", max_wait=60)
    assert clock.sleeps == [pytest.approx(CONFIG.window_s + CONFIG.safety_margin_s)]
    assert permit.granted_at == free_at(granted[0].granted_at, CONFIG)
    assert permit.waited_s == pytest.approx(clock.sleeps[0])
    # And it made one failed claim and one successful one: no polling of the store while asleep
    assert store.claims - claims_before == 2


def test_saturated_creates_fill_the_window_without_exceeding_it() -> None:
    # Given a caller that asks for creates back to back for ten windows
    limiter, _, clock = _limiter()
    start = clock.now
    times = [limiter.acquire("create", max_wait=3600).granted_at for _ in range(CONFIG.create_budget * 10)]
    # Then no window holds more than the create budget, and throughput is the budget per window plus margin
    assert max_in_any_window(times, CONFIG.window_s) == CONFIG.create_budget
    cycle = CONFIG.window_s + CONFIG.safety_margin_s
    assert clock.now - start == pytest.approx(9 * cycle)


def test_every_write_carries_a_ttl_that_never_frees_a_slot_early() -> None:
    limiter, store, _ = _limiter()
    permits = [limiter.acquire("read", max_wait=0) for _ in range(CONFIG.budget)]
    for permit in permits:
        assert store.expiries[permit.ring, permit.slot] == slot_expires_at(permit.granted_at, CONFIG)
    assert (Ring.RESERVE, "ticket") in store.expiries
    assert (Ring.SHARED, "ticket") in store.expiries


def test_headroom_counts_the_window_ending_now() -> None:
    limiter, _, clock = _limiter()
    assert limiter.headroom().available == CONFIG.budget
    limiter.acquire("create", max_wait=0)
    limiter.acquire("read", max_wait=0)
    room = limiter.headroom()
    assert (room.granted, room.available, room.create_available) == (2, 8, CONFIG.create_budget - 1)
    clock.now += CONFIG.window_s
    assert limiter.headroom().granted == 0


def test_call_budget_adapter_takes_a_permit_per_call() -> None:
    limiter, _, _ = _limiter(RateLimitConfig(budget=2, window_s=10, read_reserve=1))
    budget = limiter.as_call_budget(max_wait=0)
    budget.acquire("create")
    with pytest.raises(RateBudgetExhausted):
        budget.acquire("create")
    budget.acquire("read")


def test_a_read_served_by_its_reserve_takes_no_shared_ticket() -> None:
    # A shared ticket a read does not use is a skipped slot for creates: reads must not take one needlessly.
    limiter, store, _ = _limiter()
    limiter.acquire("read", max_wait=0)
    assert store.tickets[Ring.SHARED] == 0


@settings(max_examples=50, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(["read", "create"]), min_size=1, max_size=60),
    gaps=st.lists(st.floats(0, 20), min_size=60, max_size=60),
)
def test_one_caller_never_overshoots_whatever_it_asks(kinds: list[Kind], gaps: list[float]) -> None:
    # Given any sequence of reads and creates with any pauses, waiting as long as needed
    limiter, _, clock = _limiter()
    permits: list[Permit] = []
    for kind, gap in zip(kinds, gaps, strict=False):
        clock.now += gap
        permits.append(limiter.acquire(kind, max_wait=3600))
    # Then the budget holds for everything and the create budget for creates
    window = CONFIG.window_s
    assert max_in_any_window([p.granted_at for p in permits], window) <= CONFIG.budget
    creates = [p.granted_at for p in permits if p.kind == "create"]
    assert max_in_any_window(creates, window) <= CONFIG.create_budget


def test_call_budget_fits_the_provider_client_hook() -> None:
    # mypy checks the annotation: the adapter satisfies the client's structural hook without importing it.
    limiter, _, _ = _limiter()
    hook: ClientHook = limiter.as_call_budget(max_wait=0)
    hook.acquire("read")
    assert limiter.headroom().granted == 1
