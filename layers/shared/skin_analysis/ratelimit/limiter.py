"""A rate limiter shared by every process calling the provider with one API key: slot rings in a store.

See docs/ratelimit.md for the design and the proof that no window of `window_s` ever holds more than `budget`
grants, however many processes take permits.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from skin_analysis.ratelimit.config import RateLimitConfig
from skin_analysis.ratelimit.exceptions import RateBudgetExhausted
from skin_analysis.ratelimit.slots import (
    Kind,
    Ring,
    claim_cutoff,
    free_at,
    grants_in_window,
    ring_size,
    rings_for,
    slot_expires_at,
    slot_of,
    ticket_expires_at,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from skin_analysis.ratelimit.store import SlotStore


@dataclass(frozen=True, slots=True)
class Permit:
    """Leave to make one provider call now; nothing to release (the slot frees itself a window later)."""

    kind: Kind
    granted_at: float
    waited_s: float
    ring: Ring
    slot: int


@dataclass(frozen=True, slots=True)
class Headroom:
    """Grants in the window ending now, against the budget (for `skin-analysis doctor`)."""

    budget: int
    create_budget: int
    window_s: float
    granted: int
    shared_granted: int

    @property
    def available(self) -> int:
        """Grants any caller (a read) could still take in this window."""
        return self.budget - self.granted

    @property
    def create_available(self) -> int:
        """Grants a create could still take in this window."""
        return self.create_budget - self.shared_granted


@dataclass(slots=True)
class Acquisition:
    """One caller's pursuit of a permit, stepped by `attempt(now)`; holds its tickets between attempts.

    A ticket is kept across attempts because tickets are handed out in order, so the slot a ticket maps to is,
    in steady state, the next one to free: waiters form a queue without talking to each other.
    """

    store: SlotStore
    config: RateLimitConfig
    kind: Kind
    started_at: float
    _tickets: dict[Ring, int] = field(default_factory=dict, init=False)
    _blocked_until: dict[Ring, float] = field(default_factory=dict, init=False)

    def attempt(self, now: float) -> Permit | float:
        """Try every ring that may be free at `now`: a permit, or the earliest moment a retry can succeed."""
        for ring in rings_for(self.kind, self.config):
            if self._blocked_until.get(ring, -math.inf) > now:
                continue
            ticket = self._tickets.get(ring)
            if ticket is None:
                # Taken only when needed, so a read served by its reserve never burns a shared ticket.
                ticket = self.store.next_ticket(ring, ticket_expires_at(now, self.config))
                self._tickets[ring] = ticket
            slot = slot_of(ticket, ring_size(ring, self.config))
            blocker = self.store.claim(
                ring, slot, now, claim_cutoff(now, self.config), slot_expires_at(now, self.config)
            )
            if blocker is None:
                return Permit(self.kind, now, now - self.started_at, ring, slot)
            self._blocked_until[ring] = free_at(blocker, self.config)
        return min(self._blocked_until.values())


class RateLimiter:
    """Grants permits so that no window of `window_s` holds more than `budget` of them across all callers.

    Reads may use the whole budget; creates and file calls only `budget - read_reserve`, so polls of tasks in
    flight are never starved by new submissions.
    """

    def __init__(
        self,
        store: SlotStore,
        config: RateLimitConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.config = config or RateLimitConfig()
        # Epoch seconds, not a monotonic clock: grant times are compared across processes and machines.
        self._clock = clock
        self._sleep = sleep

    def begin(self, kind: Kind) -> Acquisition:
        """Start pursuing a permit of `kind` without waiting; step it with `Acquisition.attempt`."""
        return Acquisition(self.store, self.config, kind, self._clock())

    def acquire(self, kind: Kind, max_wait: float) -> Permit:
        """A permit of `kind`, sleeping up to `max_wait` s for one; else `RateBudgetExhausted(retry_after)`."""
        acquisition = self.begin(kind)
        deadline = acquisition.started_at + max(0.0, max_wait)
        while True:
            outcome = acquisition.attempt(self._clock())
            if isinstance(outcome, Permit):
                return outcome
            now = self._clock()
            if outcome > deadline:
                raise RateBudgetExhausted(retry_after=outcome - now)
            # Sleep until the blocking grant leaves the window: the earliest moment a claim can succeed.
            self._sleep(max(0.0, outcome - now))

    def as_call_budget(self, max_wait: float) -> CallBudget:
        """An adapter for the provider client's hook: `acquire(kind)` with this `max_wait`, returning None."""
        return CallBudget(self, max_wait)

    def headroom(self) -> Headroom:
        """Grants in the window ending now against the budget; read-only."""
        now = self._clock()
        window = self.config.window_s
        reserve = grants_in_window(self.store.last_grants(Ring.RESERVE, self.config.read_reserve), now, window)
        shared = grants_in_window(self.store.last_grants(Ring.SHARED, self.config.create_budget), now, window)
        return Headroom(
            budget=self.config.budget,
            create_budget=self.config.create_budget,
            window_s=window,
            granted=reserve + shared,
            shared_granted=shared,
        )


@dataclass(frozen=True, slots=True)
class CallBudget:
    """What the provider client calls before each request: blocks for a permit or raises RateBudgetExhausted."""

    limiter: RateLimiter
    max_wait: float

    def acquire(self, kind: Kind) -> None:
        """Take a permit of `kind` for the call about to be made."""
        self.limiter.acquire(kind, self.max_wait)
