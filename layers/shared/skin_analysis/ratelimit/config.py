"""How much of the provider's sliding window one API key may use, and how much of it only reads may use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    """Budget per window per API key, the part of it reserved for reads, and the safety margins.

    The provider allows 250 requests per 300 s per key over a sliding window; the default budget of 240 stays a
    margin below that. `safety_margin_s` must cover clock skew between callers plus the delay between a permit
    and its request reaching the provider. `ttl_slack_s` only decides how long idle items linger before
    DynamoDB's TTL removes them; it has no effect on admission.
    """

    budget: int = 240
    window_s: float = 300.0
    read_reserve: int = 40
    safety_margin_s: float = 1.0
    ttl_slack_s: int = 3600

    def __post_init__(self) -> None:
        if self.budget < 1:
            raise ValueError(f"budget must be at least 1, got {self.budget}")
        if not 0 <= self.read_reserve < self.budget:
            raise ValueError(
                f"read_reserve must be in [0, budget) so creates keep some budget, got {self.read_reserve}"
            )
        if self.window_s <= 0:
            raise ValueError(f"window_s must be positive, got {self.window_s}")
        if self.safety_margin_s < 0:
            raise ValueError(f"safety_margin_s must not be negative, got {self.safety_margin_s}")
        if self.ttl_slack_s < 0:
            raise ValueError(f"ttl_slack_s must not be negative, got {self.ttl_slack_s}")

    @property
    def create_budget(self) -> int:
        """Grants per window that creates and file calls may take: the budget minus the read reserve."""
        return self.budget - self.read_reserve
