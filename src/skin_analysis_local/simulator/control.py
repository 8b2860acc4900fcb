"""A small client for the simulator's `/_sim/` control API, for tests and benchmarks."""

from __future__ import annotations

from typing import Any

import requests

_TIMEOUT = 10.0


class SimulatorControl:
    """Talks to a running simulator's control API (embedded or `skin-analysis simulator`)."""

    def __init__(self, base_url: str, session: requests.Session | None = None) -> None:
        self._base_url = base_url.rstrip("/")
        self._session = session or requests.Session()

    def reset(self) -> None:
        """Forget every file, task, charge, window, fixture and fault."""
        self._session.post(f"{self._base_url}/_sim/reset", timeout=_TIMEOUT).raise_for_status()

    def counters(self) -> dict[str, Any]:
        """Calls per endpoint and key, units per task, tasks per source hash, webhook deliveries."""
        response = self._session.get(f"{self._base_url}/_sim/counters", timeout=_TIMEOUT)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def calls(self, endpoint: str, api_key: str | None = None) -> int:
        """How many calls reached `endpoint` (e.g. `task.create`), for one key or all."""
        per_key: dict[str, int] = self.counters()["calls"].get(endpoint, {})
        return per_key.get(api_key, 0) if api_key is not None else sum(per_key.values())

    def units_charged(self) -> float:
        """Units charged over every task."""
        return float(sum(self.counters()["units_charged"].values()))
