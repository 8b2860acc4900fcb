"""The port between the limiter and where its tickets and slots live (DynamoDB in Lambda, a dict in unit tests)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skin_analysis.ratelimit.slots import Ring


class SlotStore(ABC):
    """Ticket counters and slot items of one API key's rings; every write carries a TTL (`expires_at`)."""

    @abstractmethod
    def next_ticket(self, ring: Ring, expires_at: int) -> int:
        """Hand out the ring's next ticket: atomic and unique per ring (an ADD on a counter)."""

    @abstractmethod
    def claim(self, ring: Ring, slot: int, granted_at: float, cutoff: float, expires_at: int) -> float | None:
        """Stamp `slot` with `granted_at` if it is empty or last granted at or before `cutoff`.

        Returns None when the slot was claimed, else the last grant time that blocks it. One conditional write.
        """

    @abstractmethod
    def last_grants(self, ring: Ring, size: int) -> list[float]:
        """The last grant time of each of the ring's first `size` slots that has one (a consistent read)."""
