"""An in-memory SlotStore and a fake clock: the limiter's logic without DynamoDB or real time."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from skin_analysis.ratelimit import Ring, SlotStore


class InMemorySlotStore(SlotStore):
    """The SlotStore contract on dicts; each call is atomic, as one DynamoDB write is."""

    def __init__(self) -> None:
        self.tickets: dict[Ring, int] = defaultdict(int)
        self.slots: dict[tuple[Ring, int], float] = {}
        self.expiries: dict[tuple[Ring, int | str], int] = {}
        self.claims = 0

    def next_ticket(self, ring: Ring, expires_at: int) -> int:
        """Count up, as ADD does."""
        self.tickets[ring] += 1
        self.expiries[ring, "ticket"] = expires_at
        return self.tickets[ring]

    def claim(self, ring: Ring, slot: int, granted_at: float, cutoff: float, expires_at: int) -> float | None:
        """Stamp the slot unless its last grant is after `cutoff`."""
        self.claims += 1
        last = self.slots.get((ring, slot))
        if last is not None and last > cutoff:
            return last
        self.slots[ring, slot] = granted_at
        self.expiries[ring, slot] = expires_at
        return None

    def last_grants(self, ring: Ring, size: int) -> list[float]:
        """Every stamped slot of the ring below `size`."""
        return [t for (r, slot), t in self.slots.items() if r is ring and slot < size]


@dataclass
class FakeClock:
    """Epoch seconds that move only when someone sleeps or the test advances them."""

    now: float = 1_700_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the sleep and let the time pass."""
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds
