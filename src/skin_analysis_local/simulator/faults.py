"""Fault injection: answer faults around the API endpoints, and faults on webhook deliveries.

Answer faults match routes by name, fire a bounded number of times and can answer instead of the endpoint
(`before`) or change the endpoint's answer (`after`: the work is done, only the answer is lost or late).
Webhook faults act on the next `times` notifications (one notification = one task's terminal transition, sent
to every endpoint). The control API builds both kinds from JSON (`fault_from_json`); tests may also add them
in process with `state.faults.add(...)`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar

from skin_analysis_local.simulator.wire import Response, api_error

if TYPE_CHECKING:
    from collections.abc import Callable

#: Route names answer faults may target (the counters use the same names).
API_ROUTES = frozenset(
    {"file.create", "task.create", "task.status", "task.delete", "credit.balance", "credit.feature_cost"}
)


@dataclass
class Fault:
    """Base: which routes (empty: all API routes) and how many more times (None: until cleared)."""

    routes: frozenset[str] = frozenset()
    times: int | None = 1

    def matches(self, route: str) -> bool:
        """Whether this fault applies to `route` and has firings left."""
        return (not self.routes or route in self.routes) and (self.times is None or self.times > 0)

    def before(self) -> Response | None:
        """Answer instead of the endpoint, or None to let it run."""
        return None

    def after(self, response: Response) -> Response:
        """Change the endpoint's answer."""
        return response


@dataclass
class ServerErrors(Fault):
    """5xx bursts; with `after_processing` the endpoint runs first (a create still makes its task)."""

    status: int = 500
    after_processing: bool = False

    def before(self) -> Response | None:
        """Answer 5xx without running the endpoint."""
        return None if self.after_processing else api_error(self.status, "Internal server error")

    def after(self, response: Response) -> Response:
        """Replace the endpoint's answer with a 5xx."""
        return api_error(self.status, "Internal server error") if self.after_processing else response


@dataclass
class RateLimitStorm(Fault):
    """429s regardless of the real window."""

    def before(self) -> Response | None:
        """Answer 429 like the provider (no Retry-After)."""
        return api_error(429, "Too many requests")


@dataclass
class SlowResponse(Fault):
    """The endpoint runs, then the answer waits `seconds` (long enough and the client times out)."""

    seconds: float = 1.0

    def after(self, response: Response) -> Response:
        """Delay the answer."""
        response.delay = self.seconds
        return response


@dataclass
class DroppedResponse(Fault):
    """The endpoint runs, then the connection closes without an answer (a create still makes its task)."""

    def after(self, response: Response) -> Response:
        """Drop the answer."""
        response.drop = True
        return response


@dataclass
class WebhookFault:
    """Base of the webhook faults: acts on the next `times` notifications (None: until cleared)."""

    times: int | None = 1

    def live(self) -> bool:
        """Whether firings are left."""
        return self.times is None or self.times > 0


@dataclass
class LostWebhooks(WebhookFault):
    """The notification is never sent to any endpoint (recorded with outcome `lost`)."""


@dataclass
class DuplicatedWebhooks(WebhookFault):
    """The notification is delivered `copies` times to each endpoint, all with the same webhook-id."""

    copies: int = 2


@dataclass
class DelayedWebhooks(WebhookFault):
    """The first attempt waits `seconds` (real time) after the terminal transition."""

    seconds: float = 1.0


@dataclass
class ReorderedWebhooks(WebhookFault):
    """The next `times` notifications are held until all have happened, then sent newest first.

    Whatever is held after `max_hold` seconds is released anyway (newest first), so nothing is stranded.
    """

    times: int | None = 2
    max_hold: float = 10.0


@dataclass
class WebhookBeforeResponse(WebhookFault):
    """The next create finishes at once and its webhook is sent before the create's answer is."""


@dataclass
class SkewedWebhookTimestamps(WebhookFault):
    """`webhook-timestamp` is moved by `seconds` (-600: stale, 600: future; receivers allow ±300)."""

    seconds: float = -600.0


@dataclass
class TamperedWebhooks(WebhookFault):
    """The body sent differs from the body signed (its task_status flipped): signatures must not verify."""


@dataclass(frozen=True)
class WebhookPlan:
    """What the webhook faults do to one notification."""

    lost: bool = False
    copies: int = 1
    delay: float = 0.0
    skew: float = 0.0
    tamper: bool = False
    reorder: ReorderedWebhooks | None = None
    reorder_last: bool = False


_W = TypeVar("_W", bound=WebhookFault)


@dataclass
class FaultInjector:
    """The active faults, consulted by the pipeline around every API endpoint and by the webhook sender."""

    faults: list[Fault] = field(default_factory=list)
    webhook_faults: list[WebhookFault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault | WebhookFault) -> None:
        """Activate a fault."""
        with self._lock:
            if isinstance(fault, Fault):
                self.faults.append(fault)
            else:
                self.webhook_faults.append(fault)

    def clear(self) -> None:
        """Deactivate every fault."""
        with self._lock:
            self.faults.clear()
            self.webhook_faults.clear()

    def active(self) -> list[Fault | WebhookFault]:
        """The faults with firings left, answer faults first."""
        with self._lock:
            answer = [fault for fault in self.faults if fault.times is None or fault.times > 0]
            return [*answer, *(fault for fault in self.webhook_faults if fault.live())]

    def run(self, route: str, endpoint: Callable[[], Response]) -> Response:
        """Call `endpoint` with the matching faults wrapped around it."""
        with self._lock:
            active = [fault for fault in self.faults if fault.matches(route)]
            for fault in active:
                if fault.times is not None:
                    fault.times -= 1
        for fault in active:
            early = fault.before()
            if early is not None:
                return early
        response = endpoint()
        for fault in active:
            response = fault.after(response)
        return response

    def take(self, kind: type[_W]) -> _W | None:
        """Use one firing of the first live webhook fault of `kind`, if any."""
        with self._lock:
            return self._take(kind)

    def _take(self, kind: type[_W]) -> _W | None:
        for fault in self.webhook_faults:
            if isinstance(fault, kind) and fault.live():
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    def webhook_plan(self) -> WebhookPlan:
        """Use one firing of each kind of live webhook fault and say what they do to this notification."""
        with self._lock:
            duplicated = self._take(DuplicatedWebhooks)
            delayed = self._take(DelayedWebhooks)
            skewed = self._take(SkewedWebhookTimestamps)
            reorder = self._take(ReorderedWebhooks)
            return WebhookPlan(
                lost=self._take(LostWebhooks) is not None,
                copies=max(1, duplicated.copies) if duplicated else 1,
                delay=delayed.seconds if delayed else 0.0,
                skew=skewed.seconds if skewed else 0.0,
                tamper=self._take(TamperedWebhooks) is not None,
                reorder=reorder,
                reorder_last=reorder is not None and reorder.times == 0,
            )


#: Control API names of every fault (`POST /_sim/faults {"kind": ..., ...}`).
FAULT_KINDS: dict[str, type[Fault] | type[WebhookFault]] = {
    "server_error": ServerErrors,
    "rate_limit": RateLimitStorm,
    "slow": SlowResponse,
    "drop_response": DroppedResponse,
    "webhook_lost": LostWebhooks,
    "webhook_duplicate": DuplicatedWebhooks,
    "webhook_delay": DelayedWebhooks,
    "webhook_reorder": ReorderedWebhooks,
    "webhook_before_response": WebhookBeforeResponse,
    "webhook_timestamp_skew": SkewedWebhookTimestamps,
    "webhook_tamper": TamperedWebhooks,
}
_NAMES = {kind: name for name, kind in FAULT_KINDS.items()}


def fault_from_json(body: dict[str, Any]) -> Fault | WebhookFault:
    """Build a fault from `{"kind": ..., "times": ..., "routes": [...], <the kind's fields>}`."""
    kind = FAULT_KINDS.get(str(body.get("kind")))
    if kind is None:
        raise ValueError(f"unknown fault kind {body.get('kind')!r}; one of {', '.join(FAULT_KINDS)}")
    allowed = {item.name for item in fields(kind)}
    options = {name: value for name, value in body.items() if name != "kind"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(f"{body['kind']} takes {', '.join(sorted(allowed))}; not {', '.join(unknown)}")
    if "routes" in options:
        routes = options["routes"]
        if not isinstance(routes, list) or not set(routes) <= API_ROUTES:
            raise ValueError(f"routes must be a list of {', '.join(sorted(API_ROUTES))}")
        options["routes"] = frozenset(routes)
    _check_options(kind, options)
    return kind(**options)


def _check_options(kind: type[Fault] | type[WebhookFault], options: dict[str, Any]) -> None:
    """Reject option values whose type does not match the field's default (JSON brings anything)."""
    times = options.get("times", 1)
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise ValueError("times must be a positive integer or null (until cleared)")
    defaults = kind()
    for name, value in options.items():
        default = getattr(defaults, name)
        if name in ("times", "routes"):
            continue
        if isinstance(default, bool) != isinstance(value, bool):
            raise ValueError(f"{name} must be {'true or false' if isinstance(default, bool) else 'a number'}")
        if isinstance(default, int | float) and not isinstance(value, int | float):
            raise ValueError(f"{name} must be a number")


def fault_as_json(fault: Fault | WebhookFault) -> dict[str, Any]:
    """A fault as the control API lists it."""
    out: dict[str, Any] = {"kind": _NAMES.get(type(fault), type(fault).__name__)}
    for item in fields(fault):
        value = getattr(fault, item.name)
        out[item.name] = sorted(value) if isinstance(value, frozenset) else value
    return out
