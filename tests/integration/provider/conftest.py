"""Fixtures for client ↔ simulator contract tests over real loopback sockets."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Protocol

import pytest
import requests
from PIL import Image

from skin_analysis.provider import ApiVersion, PerfectCorpClient, Timeouts
from skin_analysis_local.simulator import Simulator, SimulatorConfig
from tests.integration.provider.contract_schemas import check_response

if TYPE_CHECKING:
    from collections.abc import Iterator

API_KEY = "sk-sim-test"


def jpeg(width: int, height: int, shade: int = 180) -> bytes:
    """A generated photo-like JPEG; `shade` makes different images (and scores)."""
    image = Image.new("RGB", (width, height), (shade, 140, 120))
    for y in range(0, height, 40):
        image.paste((shade // 2, 90, 80), (0, y, width, y + 8))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


class MakeSimulator(Protocol):
    def __call__(self, **settings: Any) -> Simulator: ...


class MakeClient(Protocol):
    def __call__(self, sim: Simulator, **kwargs: Any) -> PerfectCorpClient: ...


@pytest.fixture
def make_simulator() -> Iterator[MakeSimulator]:
    """Start simulators (no processing delay unless asked) and stop them all after the test."""
    started: list[Simulator] = []

    def make(**settings: Any) -> Simulator:
        sim = Simulator(SimulatorConfig(**{"delay": 0.0, **settings}))
        sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_simulator: MakeSimulator) -> Simulator:
    """A simulator with default settings and no processing delay."""
    return make_simulator()


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Clients whose every simulator answer is validated against the provider's OpenAPI schemas."""
    sessions: list[requests.Session] = []

    def make(sim: Simulator, **kwargs: Any) -> PerfectCorpClient:
        session = requests.Session()
        session.hooks["response"].append(check_response)
        sessions.append(session)
        options: dict[str, Any] = {
            "base_url": sim.url,
            "api_key": API_KEY,
            "version": ApiVersion.V2_1,
            "timeouts": Timeouts(connect=2, read=5, transfer=10),
            "session": session,
        }
        return PerfectCorpClient(**{**options, **kwargs})

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def client(sim: Simulator, make_client: MakeClient) -> PerfectCorpClient:
    """A v2.1 client of the default simulator."""
    return make_client(sim)


class ImageHost:
    """A tiny loopback HTTP server that serves registered bytes by path (stands in for presigned S3 GETs)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                data = host.files.get(self.path)
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def serve(self, path: str, data: bytes) -> str:
        """Serve `data` at `path` and return its URL."""
        self.files[path] = data
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def image_host() -> Iterator[ImageHost]:
    """A loopback image server for `src_file_url` tests."""
    host = ImageHost()
    yield host
    host.stop()
