"""All of the simulator's mutable state in one object behind one lock, with a clock tests can move."""

from __future__ import annotations

import base64
import itertools
import random
import secrets
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from skin_analysis_local.simulator.faults import FaultInjector
from skin_analysis_local.simulator.ratelimit import SlidingWindowLimiter
from skin_analysis_local.simulator.signing import check_webhook_url, decode_secret, generate_secret

if TYPE_CHECKING:
    from collections.abc import Callable

    from skin_analysis.quality import Quality
    from skin_analysis_local.simulator.config import SimulatorConfig
    from skin_analysis_local.simulator.engine import ImageInfo, Outcome

# x-request-id values are snowflake-like integers above 2^53, as the provider's are (contract §9).
_REQUEST_ID_BASE = 1 << 60
_LOT_TTL_MS = 365 * 86400 * 1000


class Clock:
    """Wall-clock seconds plus an offset that tests (and the control API) can advance."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Simulated Unix time in seconds."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move simulated time forward."""
        with self._lock:
            self._offset += seconds


class TaskPhase(StrEnum):
    """Where a task is: the three public states plus the status GET's 500 "Task execution timed out"."""

    RUNNING = "running"
    SUCCESS = "success"
    ERROR = "error"
    TIMED_OUT = "timed_out"


@dataclass
class FileRecord:
    """A File API slot: what was declared, the upload token and, once PUT, the bytes."""

    file_id: str
    api_key: str
    content_type: str
    file_name: str
    file_size: int
    upload_token: str
    upload_expires_at: float
    data: bytes | None = None
    upload_headers: dict[str, str] = field(default_factory=dict)
    deleted: bool = False


@dataclass
class TaskRecord:
    """One task from create to deletion."""

    task_id: str
    api_key: str
    version: str
    quality: Quality
    actions: tuple[str, ...]
    result_format: str
    overlay: bool
    created_at: float
    due_at: float
    source_name: str
    source: bytes | None = None
    file_id: str | None = None
    outcome: Outcome | None = None
    outcome_at: float | None = None
    phase: TaskPhase = TaskPhase.RUNNING
    last_polled_at: float = 0.0
    finished_at: float | None = None
    expired: bool = False
    deleted: bool = False
    units_charged: float = 0.0
    #: Set by the "webhook before response" fault: the create settles the task and sends its webhook inline.
    webhook_inline: bool = False
    #: Result members (masks, resized image, ZIP) by name, rendered once when the task succeeds.
    rendered: dict[str, bytes] = field(default_factory=dict)

    @property
    def image(self) -> ImageInfo:
        """The judged image of a successful task."""
        if self.outcome is None or self.outcome.image is None:
            raise LookupError(f"task {self.task_id} has no judged image")
        return self.outcome.image


@dataclass
class Artifact:
    """A minted download URL: which task, which member, until when."""

    task_id: str
    name: str
    expires_at: float


@dataclass
class Lot:
    """One unit lot of an account (the credit endpoint's `results[]`)."""

    id: int
    type: str
    amount: float
    expiry_ms: int


@dataclass
class WebhookEndpoint:
    """A registered webhook endpoint; a 410 answer disables it until it is registered again."""

    url: str
    disabled: bool = False


@dataclass
class WebhookSettings:
    """The account's endpoints and signing secrets (`extra_secrets` add signatures, for rotation tests)."""

    endpoints: list[WebhookEndpoint]
    secret: str
    extra_secrets: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The settings as `GET /_sim/webhooks` shows them."""
        return {
            "endpoints": [{"url": e.url, "disabled": e.disabled} for e in self.endpoints],
            "secret": self.secret,
            "extra_secrets": list(self.extra_secrets),
        }


class DeliveryOutcome(StrEnum):
    """Where one delivery (one notification to one endpoint, one copy) ended up."""

    PENDING = "pending"  # attempts left, or held by a delay/reorder fault
    DELIVERED = "delivered"  # a 2xx answer
    FAILED = "failed"  # every attempt failed
    DISABLED = "disabled"  # the endpoint answered 410 (or was disabled before a retry)
    LOST = "lost"  # the lost-webhook fault: never sent
    CANCELLED = "cancelled"  # the endpoint was unregistered before a retry


@dataclass
class DeliveryRecord:
    """One notification to one endpoint: its attempts (`status` None means timeout or connection error)."""

    webhook_id: str
    task_id: str
    task_status: str
    api_key: str
    url: str
    copy: int = 0
    attempts: list[dict[str, Any]] = field(default_factory=list)
    outcome: DeliveryOutcome = DeliveryOutcome.PENDING

    def as_json(self) -> dict[str, Any]:
        """The record as `/_sim/counters` lists it."""
        return {
            "webhook_id": self.webhook_id,
            "task_id": self.task_id,
            "task_status": self.task_status,
            "api_key": self.api_key,
            "url": self.url,
            "copy": self.copy,
            "attempts": [dict(attempt) for attempt in self.attempts],
            "outcome": self.outcome.value,
        }


@dataclass
class Counters:
    """What tests and benchmarks assert on: calls, charges, duplicate submissions, deliveries."""

    calls: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    units_charged: dict[str, float] = field(default_factory=dict)
    units_by_key: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    tasks_by_source: Counter[str] = field(default_factory=Counter)
    rate_limited: Counter[str] = field(default_factory=Counter)
    #: Wall-clock arrival time of every counted API call, for checking a client's sliding-window budget.
    call_times: list[float] = field(default_factory=list)
    #: The route of each of those calls, in the same order (`task.create`, `task.status`, ...).
    call_routes: list[str] = field(default_factory=list)
    webhook_deliveries: list[DeliveryRecord] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The counters as the `/_sim/counters` body."""
        statuses: Counter[str] = Counter()
        for record in self.webhook_deliveries:
            statuses.update(str(a["status"] if a["status"] is not None else a["error"]) for a in record.attempts)
        return {
            "calls": {route: dict(keys) for route, keys in self.calls.items()},
            "units_charged": dict(self.units_charged),
            "units_by_key": dict(self.units_by_key),
            "tasks_by_source": dict(self.tasks_by_source),
            "rate_limited": dict(self.rate_limited),
            "call_times": list(self.call_times),
            "call_routes": list(self.call_routes),
            "webhooks": {
                "deliveries": [record.as_json() for record in self.webhook_deliveries],
                "attempts": sum(len(record.attempts) for record in self.webhook_deliveries),
                "attempt_statuses": dict(statuses),
                "outcomes": dict(Counter(record.outcome.value for record in self.webhook_deliveries)),
            },
        }


class SimulatorState:
    """Files, tasks, URLs, accounts, rate windows, fixtures, faults and counters, guarded by `lock`."""

    def __init__(self, config: SimulatorConfig, clock: Clock | None = None) -> None:
        self.initial_config = config
        self.config = config
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self.faults = FaultInjector()
        #: Called (outside the lock) with each task that reaches a terminal phase: the webhook hook point.
        self.task_listeners: list[Callable[[TaskRecord], None]] = []
        #: Bumped by `reset`, so deliveries scheduled before it are dropped.
        self.generation = 0
        self._request_ids = itertools.count(_REQUEST_ID_BASE + secrets.randbelow(1 << 40))
        for url in config.webhook_urls:
            check_webhook_url(url, config.webhook_require_https)
        self._webhook_secret = config.webhook_secret or generate_secret(unpadded=config.webhook_secret_unpadded)
        decode_secret(self._webhook_secret)
        self.reset()

    def reset(self) -> None:
        """Back to the start: settings, endpoints and secret as configured; no files, tasks, faults or counts."""
        with self.lock:
            self.generation += 1
            self.config = self.initial_config
            self.webhooks = WebhookSettings(
                [WebhookEndpoint(url) for url in self.config.webhook_urls], self._webhook_secret
            )
            self.rng = random.Random(self.config.seed)  # noqa: S311  (seeded jitter, repeatable runs)
            self.files: dict[str, FileRecord] = {}
            self.uploads: dict[str, str] = {}  # upload token → file_id
            self.tasks: dict[str, TaskRecord] = {}
            self.artifacts: dict[str, Artifact] = {}
            self.fixtures: dict[str, str] = dict(self.config.fixtures)
            self.file_fixtures: dict[str, str] = {}  # file_id → outcome
            self.url_fixtures: dict[str, bytes] = {}
            self.counters = Counters()
            self.limiter = SlidingWindowLimiter(self.config.rate_limit, self.config.rate_window)
            now_ms = int(self.clock.now() * 1000)
            self.accounts: dict[str, list[Lot]] = {
                key: [Lot(13105541279084536 + i, "ApiSubsToken", self.config.initial_units, now_ms + _LOT_TTL_MS)]
                for i, key in enumerate(self.config.api_keys)
            }
            self.faults.clear()

    def next_request_id(self) -> str:
        """A fresh x-request-id."""
        return str(next(self._request_ids))

    def new_file_id(self) -> str:
        """64 characters of standard base64, which includes `/` and `+` like real file ids."""
        return base64.b64encode(secrets.token_bytes(48)).decode()

    def new_task_id(self) -> str:
        """64 characters of URL-safe base64, like real task ids."""
        return base64.urlsafe_b64encode(secrets.token_bytes(48)).decode()

    def balance(self, api_key: str) -> float:
        """Units left on the key's account."""
        with self.lock:
            return sum(lot.amount for lot in self.accounts.get(api_key, []))

    def charge(self, task: TaskRecord, units: float) -> None:
        """Deduct units from the lots nearest expiry first (oldest first on ties) and count the charge."""
        with self.lock:
            remaining = units
            for lot in sorted(self.accounts.get(task.api_key, []), key=lambda lot: (lot.expiry_ms, lot.id)):
                take = min(lot.amount, remaining)
                lot.amount -= take
                remaining -= take
            task.units_charged = units
            self.counters.units_charged[task.task_id] = units
            self.counters.units_by_key[task.api_key] += units
