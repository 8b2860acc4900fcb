"""Webhook delivery as Perfect Corp sends it (contract §7), with retries and the webhook faults.

On every terminal transition of any task (every key: webhooks are account-wide) each registered endpoint gets
a POST of the minified thin body `{"created_at":…,"data":{"task_id":…,"task_status":…}}` with `webhook-id`
(`msg_<task_id>:<created_at>`, the same on every retry and copy), `webhook-timestamp` (wall-clock send time)
and `webhook-signature` (recomputed per attempt, with the secrets registered at that moment).

Deliveries never block the API: the task listener only records and schedules; a scheduler thread hands due
attempts to a small pool. A non-2xx answer, a timeout or a refused connection is retried after
`webhook_retry_delays` times `webhook_backoff_scale`; a 410 disables the endpoint; a 3xx is a failure (redirects
are not followed). Every attempt and outcome lands in the counters.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import requests

from skin_analysis_local.simulator.signing import signature_header
from skin_analysis_local.simulator.state import DeliveryOutcome, DeliveryRecord, TaskPhase

if TYPE_CHECKING:
    from collections.abc import Callable

    from skin_analysis_local.simulator.faults import ReorderedWebhooks, WebhookPlan
    from skin_analysis_local.simulator.state import SimulatorState, TaskRecord

logger = logging.getLogger(__name__)

_WORKERS = 8
_GONE = 410
_REORDER_GAP = 0.1  # seconds between released held notifications, so they arrive in the reversed order


@dataclass(frozen=True)
class Notification:
    """One terminal transition as the provider announces it."""

    webhook_id: str
    task_id: str
    task_status: str
    api_key: str
    body: bytes

    @property
    def tampered_body(self) -> bytes:
        """The body with its task_status flipped (sent by the tamper fault; the signature covers `body`)."""
        flipped = "error" if self.task_status == "success" else "success"
        return self.body.replace(f'"task_status":"{self.task_status}"'.encode(), f'"task_status":"{flipped}"'.encode())


def notification_of(task: TaskRecord) -> Notification:
    """The webhook a finished task produces; a task timeout is announced as `error` (a guess)."""
    created_at = int(task.finished_at if task.finished_at is not None else task.created_at)
    status = "success" if task.phase is TaskPhase.SUCCESS else "error"
    payload = {"created_at": created_at, "data": {"task_id": task.task_id, "task_status": status}}
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Notification(f"msg_{task.task_id}:{created_at}", task.task_id, status, task.api_key, body)


@dataclass
class _Delivery:
    """One notification to one endpoint (one copy), with the faults that apply to it."""

    note: Notification
    record: DeliveryRecord
    plan: WebhookPlan
    generation: int


def _log_failure(done: Future[None]) -> None:
    error = done.exception()
    if error is not None:
        logger.error("simulator webhook attempt crashed", exc_info=error)


class WebhookSender:
    """Subscribes to terminal transitions and delivers them; `start()`/`stop()` with the simulator."""

    def __init__(self, state: SimulatorState) -> None:
        self._state = state
        self._pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="sim-webhook")
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._wakeup = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="sim-webhook-scheduler", daemon=True)
        self._held: list[list[_Delivery]] = []
        self._held_batch = 0

    def start(self) -> None:
        """Subscribe to the state's terminal transitions and start the scheduler."""
        self._state.task_listeners.append(self.notify)
        self._thread.start()

    def stop(self) -> None:
        """Unsubscribe, drop whatever is scheduled and stop the threads."""
        if self.notify in self._state.task_listeners:
            self._state.task_listeners.remove(self.notify)
        with self._wakeup:
            self._stopping = True
            self._queue.clear()
            self._wakeup.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def notify(self, task: TaskRecord) -> None:
        """The task listener: record a delivery per endpoint (and copy) and schedule them; no HTTP here."""
        state = self._state
        with state.lock:
            urls = [endpoint.url for endpoint in state.webhooks.endpoints if not endpoint.disabled]
            generation = state.generation
        if not urls:
            return
        note = notification_of(task)
        plan = state.faults.webhook_plan()
        deliveries = []
        with state.lock:
            for url in urls:
                for copy in range(1 if plan.lost else plan.copies):
                    record = DeliveryRecord(note.webhook_id, note.task_id, note.task_status, note.api_key, url, copy)
                    if plan.lost:
                        record.outcome = DeliveryOutcome.LOST
                    state.counters.webhook_deliveries.append(record)
                    deliveries.append(_Delivery(note, record, plan, generation))
        if plan.lost:
            return
        if plan.reorder is not None:
            self._hold(deliveries, plan.reorder, last=plan.reorder_last)
        elif task.webhook_inline:
            for delivery in deliveries:
                self._attempt(delivery)
        else:
            for delivery in deliveries:
                self._schedule(plan.delay, partial(self._attempt, delivery))

    def _hold(self, deliveries: list[_Delivery], reorder: ReorderedWebhooks, *, last: bool) -> None:
        """Keep a reordered notification back until its batch is complete (or `max_hold` passes)."""
        with self._wakeup:
            if self._held and self._held[0][0].generation != deliveries[0].generation:
                self._held, self._held_batch = [], self._held_batch + 1  # left over from before a reset
            if not self._held:
                self._schedule(reorder.max_hold, partial(self._release, self._held_batch))
            self._held.append(deliveries)
            batch = self._held_batch
        if last:
            self._release(batch)

    def _release(self, batch: int) -> None:
        """Send the held notifications newest first, `_REORDER_GAP` apart."""
        with self._wakeup:
            if batch != self._held_batch:
                return
            held, self._held = self._held, []
            self._held_batch += 1
        for position, deliveries in enumerate(reversed(held)):
            for delivery in deliveries:
                self._schedule(delivery.plan.delay + position * _REORDER_GAP, partial(self._attempt, delivery))

    def _schedule(self, delay: float, job: Callable[[], None]) -> None:
        with self._wakeup:
            if self._stopping:
                return
            heapq.heappush(self._queue, (time.monotonic() + max(0.0, delay), next(self._order), job))
            self._wakeup.notify_all()

    def _run(self) -> None:
        with self._wakeup:
            while not self._stopping:
                if not self._queue:
                    self._wakeup.wait()
                    continue
                wait = self._queue[0][0] - time.monotonic()
                if wait > 0:
                    self._wakeup.wait(wait)
                    continue
                job = heapq.heappop(self._queue)[2]
                try:
                    self._pool.submit(job).add_done_callback(_log_failure)
                except RuntimeError:  # the pool is shut down: the simulator is stopping
                    return

    def _attempt(self, delivery: _Delivery) -> None:
        """One POST; then delivered, disabled, retried later or failed."""
        state = self._state
        record = delivery.record
        with state.lock:
            if state.generation != delivery.generation or self._stopping:
                return
            endpoint = next((e for e in state.webhooks.endpoints if e.url == record.url), None)
            if endpoint is None or endpoint.disabled:
                record.outcome = DeliveryOutcome.CANCELLED if endpoint is None else DeliveryOutcome.DISABLED
                return
            config = state.config
            secrets_ = [state.webhooks.secret, *state.webhooks.extra_secrets]
            # Wall-clock send time: receivers compare it with their own clock, so advancing the simulated
            # clock (URL expiry, windows) must not make every later webhook "too new"; skew faults do that.
            timestamp = int(time.time() + delivery.plan.skew)
        note = delivery.note
        headers = {
            "Content-Type": "application/json",
            "webhook-id": note.webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(secrets_, note.webhook_id, timestamp, note.body),
        }
        body = note.tampered_body if delivery.plan.tamper else note.body
        status: int | None = None
        error: str | None = None
        try:
            with requests.Session() as session:
                session.trust_env = False  # no proxy from the environment between us and a loopback receiver
                response = session.post(
                    record.url, data=body, headers=headers, timeout=config.webhook_timeout, allow_redirects=False
                )
                status = response.status_code
        except requests.Timeout:
            error = "timeout"
        except requests.RequestException as failure:
            error = f"connection error: {type(failure).__name__}"
        self._settle(delivery, timestamp, status, error)

    def _settle(self, delivery: _Delivery, timestamp: int, status: int | None, error: str | None) -> None:
        state = self._state
        record = delivery.record
        with state.lock:
            if state.generation != delivery.generation:
                return
            record.attempts.append({"status": status, "error": error, "timestamp": timestamp})
            delays = state.config.webhook_retry_delays
            retry_in = None
            if status is not None and 200 <= status < 300:  # noqa: PLR2004  (2xx is success)
                record.outcome = DeliveryOutcome.DELIVERED
            elif status == _GONE:
                record.outcome = DeliveryOutcome.DISABLED
                for endpoint in state.webhooks.endpoints:
                    if endpoint.url == record.url:
                        endpoint.disabled = True
            elif len(record.attempts) <= len(delays):
                retry_in = delays[len(record.attempts) - 1] * state.config.webhook_backoff_scale
            else:
                record.outcome = DeliveryOutcome.FAILED
        if retry_in is not None:
            self._schedule(retry_in, partial(self._attempt, delivery))
