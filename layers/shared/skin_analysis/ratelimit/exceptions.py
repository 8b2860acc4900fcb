"""Errors of the rate limiter: the budget is spent for longer than the caller can wait, or the store failed."""

from __future__ import annotations

from skin_analysis.errors import SkinAnalysisError


class RateLimitError(SkinAnalysisError):
    """Base of the rate limiter's errors."""


class RateBudgetExhausted(RateLimitError):
    """Raised by `acquire` when no grant can become possible within `max_wait`; `retry_after` says when one can."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(0.0, retry_after)
        super().__init__(f"rate budget exhausted; a grant may be possible in {self.retry_after:.3f} s")


class RateLimitStoreUnavailable(RateLimitError):
    """Raised when the limiter's table cannot be read or written (after the SDK's own retries)."""
