"""Fixtures for the simulator's webhooks, faults and counters: a real loopback webhook receiver, fast simulators."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Protocol

import pytest
import requests

from skin_analysis.provider import ApiVersion, PerfectCorpClient, Timeouts
from skin_analysis_local.simulator import Simulator, SimulatorConfig, SimulatorControl
from tests.helpers import wait_until
from tests.integration.provider.conftest import API_KEY, jpeg

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Retries in milliseconds so a whole retry schedule runs within a test's SLA.
FAST_RETRIES = {"webhook_retry_delays": (0.05, 0.1, 0.15), "webhook_backoff_scale": 1.0, "webhook_timeout": 1.0}


@dataclass(frozen=True)
class Received:
    """One webhook POST as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival

    @property
    def webhook_id(self) -> str:
        """The `webhook-id` header."""
        return self.headers["webhook-id"]


class Receiver:
    """A loopback HTTP server that records every POST and answers from a script (default 204)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._script: deque[tuple[int, float]] = deque()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, delay = receiver._next_answer()
                if delay:
                    time.sleep(delay)
                with receiver._lock:
                    receiver.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        """The URL of `path` on this receiver."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def answer(self, *statuses: int, delay: float = 0.0) -> None:
        """Answer the next POSTs with these statuses (after `delay` seconds each), then 204 again."""
        with self._lock:
            self._script.extend((status, delay) for status in statuses)

    def _next_answer(self) -> tuple[int, float]:
        with self._lock:
            return self._script.popleft() if self._script else (204, 0.0)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until at least `count` POSTs arrived; return them all."""
        wait_until(lambda: len(self.received) >= count, timeout, what=f"{count} webhook(s) received")
        with self._lock:
            return list(self.received)

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


class MakeReceiver(Protocol):
    def __call__(self) -> Receiver: ...


class MakeSim(Protocol):
    def __call__(self, **settings: Any) -> Simulator: ...


@pytest.fixture
def make_receiver() -> Iterator[MakeReceiver]:
    """Start webhook receivers and stop them after the test."""
    started: list[Receiver] = []

    def make() -> Receiver:
        started.append(Receiver())
        return started[-1]

    yield make
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(make_receiver: MakeReceiver) -> Receiver:
    """One webhook receiver."""
    return make_receiver()


@pytest.fixture
def make_sim() -> Iterator[MakeSim]:
    """Start simulators with no processing delay and millisecond webhook retries; stop them after the test."""
    started: list[Simulator] = []

    def make(**settings: Any) -> Simulator:
        sim = Simulator(SimulatorConfig(**{"delay": 0.0, **FAST_RETRIES, **settings}))
        sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim: MakeSim, receiver: Receiver) -> Simulator:
    """A simulator whose only webhook endpoint is `receiver`."""
    return make_sim(webhook_urls=(receiver.url(),))


@pytest.fixture
def control(sim: Simulator) -> SimulatorControl:
    """The control API client of `sim`."""
    return SimulatorControl(sim.url)


def client_of(sim: Simulator, api_key: str = API_KEY, read_timeout: float = 5.0) -> PerfectCorpClient:
    """A v2.1 client of `sim`."""
    return PerfectCorpClient(
        base_url=sim.url,
        api_key=api_key,
        version=ApiVersion.V2_1,
        timeouts=Timeouts(connect=2, read=read_timeout, transfer=10),
        session=requests.Session(),
    )


@pytest.fixture
def client(sim: Simulator) -> PerfectCorpClient:
    """A v2.1 client of `sim`."""
    return client_of(sim)


def submit(client: PerfectCorpClient, photo: bytes | None = None, name: str = "me.jpg") -> str:
    """Upload a photo (600 x 800 by default) and create an SD task on it; the task id."""
    file_id = client.upload_file(photo or jpeg(600, 800), content_type="image/jpeg", file_name=name)
    return client.create_task(dst_actions=["wrinkle"], src_file_id=file_id).task_id


def deliveries_settled(control: SimulatorControl, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Wait until `count` deliveries exist and none is pending; return them."""

    def settled() -> list[dict[str, Any]] | None:
        found = control.webhook_deliveries()
        done = len(found) >= count and all(d["outcome"] != "pending" for d in found)
        return found if done else None

    return wait_until(settled, timeout, what=f"{count} webhook deliveries settled")
