"""A small client for the simulator's `/_sim/` control API, for tests, benchmarks and the local stack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from collections.abc import Iterable

_TIMEOUT = 10.0


class SimulatorControlError(RuntimeError):
    """The control API refused a request (its 400 message is the text)."""


class SimulatorControl:
    """Talks to a running simulator's control API (embedded or `skin-analysis simulator`).

    Route names for the answer faults: file.create, task.create, task.status, task.delete, credit.balance,
    credit.feature_cost. `times=None` keeps a fault active until `clear_faults()` or `reset()`.
    """

    def __init__(self, base_url: str, session: requests.Session | None = None) -> None:
        self._base_url = base_url.rstrip("/")
        self._session = session or requests.Session()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self._session.request(method, f"{self._base_url}/_sim/{path}", json=body, timeout=_TIMEOUT)
        if response.status_code == 400:  # noqa: PLR2004  (the control API's "bad request")
            raise SimulatorControlError(response.json().get("error", response.text))
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    # Reset and counters

    def reset(self) -> None:
        """Back to the startup settings, endpoints and secret; no files, tasks, faults, fixtures or counts."""
        self._call("POST", "reset")

    def counters(self) -> dict[str, Any]:
        """Calls per endpoint and key, units per task and key, tasks per source hash, webhook deliveries."""
        return self._call("GET", "counters")

    def calls(self, endpoint: str, api_key: str | None = None) -> int:
        """How many calls reached `endpoint` (e.g. `task.create`), for one key or all."""
        per_key: dict[str, int] = self.counters()["calls"].get(endpoint, {})
        return per_key.get(api_key, 0) if api_key is not None else sum(per_key.values())

    def call_times(self) -> list[float]:
        """Wall-clock arrival times (epoch seconds) of every counted API call since the last reset."""
        return [float(t) for t in self.counters()["call_times"]]

    def units_charged(self, api_key: str | None = None) -> float:
        """Units charged over every task (of one key, if given)."""
        counters = self.counters()
        if api_key is not None:
            return float(counters["units_by_key"].get(api_key, 0.0))
        return float(sum(counters["units_charged"].values()))

    def tasks_by_source(self) -> dict[str, int]:
        """Tasks created per source image sha256 (proves no upload was submitted twice)."""
        counts: dict[str, int] = self.counters()["tasks_by_source"]
        return counts

    def webhook_deliveries(self, task_id: str | None = None) -> list[dict[str, Any]]:
        """Every delivery (one per notification, endpoint and copy) with its attempts and outcome."""
        deliveries: list[dict[str, Any]] = self.counters()["webhooks"]["deliveries"]
        return [d for d in deliveries if task_id is None or d["task_id"] == task_id]

    # Clock and settings

    def now(self) -> float:
        """Simulated Unix time."""
        return float(self._call("GET", "clock")["now"])

    def advance_clock(self, seconds: float) -> float:
        """Move simulated time forward (URL expiry, unpolled window, rate windows, retention); the new time."""
        return float(self._call("POST", "clock", {"advance": seconds})["now"])

    def config(self) -> dict[str, Any]:
        """The settings in force."""
        return self._call("GET", "config")

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change settings until the next reset, e.g. `configure(unpolled_window=30, delay=2)`."""
        return self._call("PATCH", "config", settings)

    def set_unpolled_window(self, seconds: float | None) -> None:
        """A running task unpolled this long expires (Invalid task ID) yet is still charged on success."""
        self.configure(unpolled_window=seconds)

    # Answer faults

    def add_fault(self, kind: str, **options: Any) -> dict[str, Any]:
        """Any fault by its control API name (see `faults.FAULT_KINDS`); returns it as activated."""
        fault: dict[str, Any] = self._call("POST", "faults", {"kind": kind, **options})["fault"]
        return fault

    def faults(self) -> list[dict[str, Any]]:
        """The faults with firings left."""
        active: list[dict[str, Any]] = self._call("GET", "faults")["faults"]
        return active

    def clear_faults(self) -> None:
        """Deactivate every fault."""
        self._call("DELETE", "faults")

    def server_errors(
        self, routes: Iterable[str], times: int | None = 1, status: int = 500, *, after_processing: bool = False
    ) -> None:
        """A 5xx burst on `routes`; `after_processing` runs the endpoint first (a create still makes its task)."""
        self.add_fault(
            "server_error", routes=list(routes), times=times, status=status, after_processing=after_processing
        )

    def rate_limit_storm(self, routes: Iterable[str] = (), times: int | None = 1) -> None:
        """429 `Too many requests` on `routes` (empty: every API route) whatever the real window says."""
        self.add_fault("rate_limit", routes=list(routes), times=times)

    def slow_responses(self, routes: Iterable[str], seconds: float, times: int | None = 1) -> None:
        """The endpoint runs, then its answer waits `seconds` (past the client's read timeout)."""
        self.add_fault("slow", routes=list(routes), seconds=seconds, times=times)

    def drop_responses(self, routes: Iterable[str] = ("task.create",), times: int | None = 1) -> None:
        """The endpoint runs (a create makes its task), then the connection closes with no answer."""
        self.add_fault("drop_response", routes=list(routes), times=times)

    # Webhook faults (each acts on the next `times` notifications)

    def lose_webhooks(self, times: int | None = 1) -> None:
        """Notifications never sent (recorded with outcome `lost`)."""
        self.add_fault("webhook_lost", times=times)

    def duplicate_webhooks(self, times: int | None = 1, copies: int = 2) -> None:
        """Each notification delivered `copies` times per endpoint, same webhook-id."""
        self.add_fault("webhook_duplicate", times=times, copies=copies)

    def delay_webhooks(self, seconds: float, times: int | None = 1) -> None:
        """The first attempt waits `seconds` (real time)."""
        self.add_fault("webhook_delay", times=times, seconds=seconds)

    def reorder_webhooks(self, count: int = 2, max_hold: float = 10.0) -> None:
        """The next `count` notifications are held, then sent newest first."""
        self.add_fault("webhook_reorder", times=count, max_hold=max_hold)

    def webhook_before_response(self, times: int | None = 1) -> None:
        """The next create finishes at once and its webhook is delivered before the create's answer."""
        self.add_fault("webhook_before_response", times=times)

    def skew_webhook_timestamps(self, seconds: float, times: int | None = 1) -> None:
        """`webhook-timestamp` moved by `seconds` (e.g. -600: stale; receivers accept ±300)."""
        self.add_fault("webhook_timestamp_skew", times=times, seconds=seconds)

    def tamper_webhooks(self, times: int | None = 1) -> None:
        """The body sent differs from the body signed."""
        self.add_fault("webhook_tamper", times=times)

    # Engine outcomes

    def engine_error(self, outcome: str, *, sha256: str | None = None, file_id: str | None = None) -> None:
        """Tasks on this image (by the bytes' sha256, or by file_id) end with `outcome` (`task_timeout`: 500)."""
        body: dict[str, Any] = {"outcome": outcome}
        if sha256 is not None:
            body["sha256"] = sha256
        if file_id is not None:
            body["file_id"] = file_id
        self._call("POST", "fixtures", body)

    def clear_fixtures(self) -> None:
        """Forget every engine-outcome fixture."""
        self._call("DELETE", "fixtures")

    def expire_task(self, task_id: str) -> None:
        """As if left unpolled past the window: its GET answers Invalid task ID; a success is still charged."""
        self._call("POST", f"tasks/{task_id}/expire")

    def expire_result_urls(self, task_id: str | None = None) -> int:
        """Every minted result URL (of one task) answers 403 from now; how many."""
        body = {} if task_id is None else {"task_id": task_id}
        return int(self._call("POST", "results/expire", body)["expired"])

    # Webhooks

    def webhooks(self) -> dict[str, Any]:
        """Endpoints (with their disabled flag), the signing secret and any extra signing secrets."""
        return self._call("GET", "webhooks")

    def set_webhooks(
        self, urls: Iterable[str] | None = None, secret: str | None = None, extra_secrets: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """Replace the endpoints, the secret and/or the extra secrets (whatever is given)."""
        body: dict[str, Any] = {}
        if urls is not None:
            body["urls"] = list(urls)
        if secret is not None:
            body["secret"] = secret
        if extra_secrets is not None:
            body["extra_secrets"] = list(extra_secrets)
        return self._call("PUT", "webhooks", body)

    def add_webhook_endpoint(self, url: str) -> None:
        """Register one more endpoint."""
        urls = [endpoint["url"] for endpoint in self.webhooks()["endpoints"]]
        self.set_webhooks(urls=[*urls, url])

    def rotate_webhook_secret(self, secret: str | None = None, *, sign_with_old: bool = False) -> str:
        """Sign with a new secret (generated if not given) from now on; returns it."""
        body: dict[str, Any] = {"sign_with_old": sign_with_old}
        if secret is not None:
            body["secret"] = secret
        new: str = self._call("POST", "webhooks/rotate", body)["secret"]
        return new

    def run_foreign_task(
        self,
        *,
        api_key: str = "sk-sim-foreign",
        error: str | None = None,
        delay: float = 0.0,
        dst_actions: Iterable[str] = ("wrinkle",),
    ) -> str:
        """A task made by another key of the account: it runs, is charged to that key and notifies webhooks."""
        body = {"api_key": api_key, "error": error, "delay": delay, "dst_actions": list(dst_actions)}
        task_id: str = self._call("POST", "tasks", body)["data"]["task_id"]
        return task_id
