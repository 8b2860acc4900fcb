"""The provider's rate limit: a sliding 300 s window per API key and, separately, per client IP."""

from __future__ import annotations

import threading
from collections import defaultdict, deque

from skin_analysis_local.simulator.config import RATE_WINDOW


class SlidingWindowLimiter:
    """Admits a request only if both its key and its IP made fewer than `limit` requests in the window."""

    def __init__(self, limit: int, window: float = RATE_WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._seen: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def admit(self, now: float, *, key: str, ip: str, count_rejected: bool = False) -> bool:
        """Record the request and say whether it is within both limits."""
        buckets = (f"key:{key}", f"ip:{ip}")
        with self._lock:
            windows = [self._trimmed(bucket, now) for bucket in buckets]
            allowed = all(len(window) < self.limit for window in windows)
            if allowed or count_rejected:
                for window in windows:
                    window.append(now)
            return allowed

    def _trimmed(self, bucket: str, now: float) -> deque[float]:
        window = self._seen[bucket]
        while window and window[0] <= now - self.window:
            window.popleft()
        return window
