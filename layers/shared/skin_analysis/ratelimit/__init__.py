"""A distributed rate limiter that keeps every caller of one provider API key inside its sliding window.

Build one per API key with `DynamoDBRateLimiter(table_name, key_identity(api_key), RateLimitConfig(...))` and
take a permit before each provider call (`acquire("read" | "create", max_wait)`), or hand
`as_call_budget(max_wait)` to the provider client. Design and proof: docs/ratelimit.md.
"""

from skin_analysis.ratelimit.config import RateLimitConfig
from skin_analysis.ratelimit.dynamodb import DynamoDBRateLimiter, DynamoDBSlotStore, key_identity
from skin_analysis.ratelimit.exceptions import RateBudgetExhausted, RateLimitError, RateLimitStoreUnavailable
from skin_analysis.ratelimit.limiter import Acquisition, CallBudget, Headroom, Permit, RateLimiter
from skin_analysis.ratelimit.slots import Kind, Ring, max_in_any_window
from skin_analysis.ratelimit.store import SlotStore

__all__ = [
    "Acquisition",
    "CallBudget",
    "DynamoDBRateLimiter",
    "DynamoDBSlotStore",
    "Headroom",
    "Kind",
    "Permit",
    "RateBudgetExhausted",
    "RateLimitConfig",
    "RateLimitError",
    "RateLimitStoreUnavailable",
    "RateLimiter",
    "Ring",
    "SlotStore",
    "key_identity",
    "max_in_any_window",
]
