"""Many callers with skewed clocks, interleaved step by step in any order: the window bound always holds.

Each caller is an `Acquisition` (the same code `acquire` runs) stepped at moments Hypothesis chooses, with its
own clock error within the safety margin, and may give up at any point (a crash or a short max_wait).
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from skin_analysis.ratelimit import Acquisition, Kind, Permit, RateLimitConfig, max_in_any_window
from tests.unit.ratelimit.fakes import InMemorySlotStore

CONFIGS = [
    RateLimitConfig(budget=6, window_s=10.0, read_reserve=2, safety_margin_s=1.0),
    RateLimitConfig(budget=2, window_s=10.0, read_reserve=1, safety_margin_s=1.0),
    RateLimitConfig(budget=1, window_s=10.0, read_reserve=0, safety_margin_s=1.0),
]
HALF_MARGIN = 0.5


@dataclass
class Caller:
    """A pending acquisition and its clock error."""

    acquisition: Acquisition
    skew: float
    wake_at: float


class Fleet(RuleBasedStateMachine):
    """Callers sharing one store; `now` is true time, each caller reads `now + skew`."""

    def __init__(self) -> None:
        super().__init__()
        self.store = InMemorySlotStore()
        self.now = 1_700_000_000.0
        self.pending: list[Caller] = []
        self.grants: list[tuple[float, Kind]] = []
        self.config = CONFIGS[0]

    @initialize(config=st.sampled_from(CONFIGS))
    def configure(self, config: RateLimitConfig) -> None:
        self.config = config

    @rule(seconds=st.floats(0, 6))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds

    @rule(kind=st.sampled_from(["read", "create"]), skew=st.floats(-HALF_MARGIN, HALF_MARGIN))
    def caller_arrives(self, kind: Kind, skew: float) -> None:
        acquisition = Acquisition(self.store, self.config, kind, self.now + skew)
        self.pending.append(Caller(acquisition, skew, self.now + skew))

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def caller_attempts(self, data: st.DataObject) -> None:
        self._attempt(data.draw(st.sampled_from(self.pending)))

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def caller_wakes_when_told(self, data: st.DataObject) -> None:
        # What `acquire` does: sleep until the moment the refusal named (by its own clock), then try again.
        caller = data.draw(st.sampled_from(self.pending))
        self.now = max(self.now, caller.wake_at - caller.skew)
        self._attempt(caller)

    @precondition(lambda self: self.pending)
    @rule(data=st.data(), early=st.floats(0, 1))
    def caller_wakes_early(self, data: st.DataObject, early: float) -> None:
        # A retry before the named moment (another caller's clock, a spurious wake-up) must only be refused.
        caller = data.draw(st.sampled_from(self.pending))
        self.now = max(self.now, caller.wake_at - caller.skew - early * self.config.safety_margin_s)
        self._attempt(caller)

    def _attempt(self, caller: Caller) -> None:
        local_now = self.now + caller.skew
        outcome = caller.acquisition.attempt(local_now)
        if isinstance(outcome, Permit):
            self.pending.remove(caller)
            self.grants.append((self.now, outcome.kind))
        else:
            # A refusal always names a later moment, so a sleeping caller never spins.
            assert outcome > local_now
            caller.wake_at = outcome

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def caller_gives_up(self, data: st.DataObject) -> None:
        # A crash or a short max_wait: its tickets are simply never used.
        self.pending.remove(data.draw(st.sampled_from(self.pending)))

    @rule()
    def fleet_idles_then_reads_a_full_budget(self) -> None:
        # Self-healing: whatever was claimed, skipped or abandoned, one idle window later the whole budget is
        # there again at once. Nothing is ever released, so nothing can leak.
        self.now += self.config.window_s + self.config.safety_margin_s + HALF_MARGIN
        for _ in range(self.config.budget):
            outcome = Acquisition(self.store, self.config, "read", self.now).attempt(self.now)
            assert isinstance(outcome, Permit)
            self.grants.append((self.now, "read"))

    @invariant()
    def no_window_holds_more_than_the_budget(self) -> None:
        assert max_in_any_window([t for t, _ in self.grants], self.config.window_s) <= self.config.budget

    @invariant()
    def creates_never_use_the_reserve(self) -> None:
        creates = [t for t, kind in self.grants if kind == "create"]
        assert max_in_any_window(creates, self.config.window_s) <= self.config.create_budget


Fleet.TestCase.settings = settings(max_examples=300, stateful_step_count=60, deadline=None)
TestFleet = Fleet.TestCase
