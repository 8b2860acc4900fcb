"""The arithmetic of the slot rings: pure functions of tickets, grant times and the config.

A ring of `size` slots admits at most `size` grants in any window: grant tickets map to slots round-robin, and a
slot is claimed only when its previous grant is at least `window_s + safety_margin_s` old. Two grants on one slot
are therefore more than a window apart, so `size + 1` grants can never fit in one window (pigeonhole).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable

    from skin_analysis.ratelimit.config import RateLimitConfig

Kind = Literal["read", "create"]


class Ring(StrEnum):
    """The two disjoint rings: `reserve` serves reads only, `shared` serves every kind."""

    RESERVE = "reserve"
    SHARED = "shared"


def ring_size(ring: Ring, config: RateLimitConfig) -> int:
    """How many slots `ring` has: the read reserve, or the rest of the budget."""
    return config.read_reserve if ring is Ring.RESERVE else config.create_budget


def rings_for(kind: Kind, config: RateLimitConfig) -> tuple[Ring, ...]:
    """The rings a caller of `kind` may draw on, in the order it tries them.

    Reads try their reserve first so that creates keep the whole shared ring when reads are light.
    """
    if kind == "read" and config.read_reserve > 0:
        return (Ring.RESERVE, Ring.SHARED)
    return (Ring.SHARED,)


def slot_of(ticket: int, size: int) -> int:
    """The slot a ticket claims: round-robin over the ring."""
    return ticket % size


def claim_cutoff(now: float, config: RateLimitConfig) -> float:
    """The latest previous grant time that still lets a slot be claimed at `now`."""
    return now - config.window_s - config.safety_margin_s


def free_at(last_granted_at: float, config: RateLimitConfig) -> float:
    """The earliest moment a slot last granted at `last_granted_at` can be claimed again."""
    moment = last_granted_at + config.window_s + config.safety_margin_s
    # Float rounding can leave claim_cutoff(moment) a hair below the grant; a waiter woken at `moment` must
    # succeed, or it would wake again at once. A few ulps at most.
    while claim_cutoff(moment, config) < last_granted_at:
        moment = math.nextafter(moment, math.inf)
    return moment


def slot_expires_at(granted_at: float, config: RateLimitConfig) -> int:
    """TTL of a slot item: never before it is free again (TTL deletion must not free a slot early)."""
    return math.ceil(free_at(granted_at, config)) + config.ttl_slack_s


def ticket_expires_at(now: float, config: RateLimitConfig) -> int:
    """TTL of a ring's ticket counter, pushed forward on every ticket; a reset counter is harmless."""
    return math.ceil(now + config.window_s) + config.ttl_slack_s


def grants_in_window(grant_times: Iterable[float], now: float, window_s: float) -> int:
    """How many of `grant_times` fall in the window ending at `now`, i.e. in (now - window_s, now]."""
    return sum(1 for t in grant_times if now - window_s < t <= now)


def max_in_any_window(grant_times: Iterable[float], window_s: float) -> int:
    """The most grants in any half-open interval [a, a + window_s): what a sliding-window counter would see."""
    times = sorted(grant_times)
    # The busiest interval can always be slid right until it starts at a grant, so trying each grant suffices.
    return max((bisect_left(times, t + window_s) - i for i, t in enumerate(times)), default=0)
