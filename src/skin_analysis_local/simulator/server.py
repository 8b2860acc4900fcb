"""The HTTP server: stdlib `ThreadingHTTPServer` in front of the pipeline, a ticker, a worker pool, webhooks.

`Simulator` is both the CLI's server and the in-process one tests embed: `Simulator(config).start(port=0)`
binds a free loopback port, serves from a daemon thread and returns the base URL; `stop()` ends it.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Self
from urllib.parse import parse_qs, urlsplit

from skin_analysis_local.simulator import lifecycle
from skin_analysis_local.simulator.config import SimulatorConfig
from skin_analysis_local.simulator.pipeline import Pipeline
from skin_analysis_local.simulator.routes import ROUTES
from skin_analysis_local.simulator.state import SimulatorState
from skin_analysis_local.simulator.webhooks import WebhookSender
from skin_analysis_local.simulator.wire import Request, Response

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

logger = logging.getLogger(__name__)

_TICK_SECONDS = 0.05
_WORKERS = 8


def _log_failure(done: Future[None]) -> None:
    """A crashed engine job leaves its task running forever; make that visible."""
    error = done.exception()
    if error is not None:
        logger.error("simulator engine job failed", exc_info=error)


class _Handler(BaseHTTPRequestHandler):
    """Adapts http.server to the pipeline; HTTP/1.1 keep-alive so pooled clients reuse connections."""

    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; with Nagle on, a keep-alive client waits 40 ms for each answer.
    disable_nagle_algorithm = True
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        forwarded = self.headers.get("X-Forwarded-For")
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            client_ip=forwarded.split(",")[0].strip() if forwarded else self.client_address[0],
        )
        response = self.server.pipeline.handle(request)
        self._write(response)

    def _write(self, response: Response) -> None:
        if response.delay:
            self.server.stopping.wait(response.delay)
        if response.drop:
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Route access logs through logging instead of stderr."""
        logger.debug(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    pipeline: Pipeline
    stopping: threading.Event


class Simulator:
    """The provider simulator: state, HTTP server, ticker and worker pool, startable in a thread."""

    def __init__(self, config: SimulatorConfig | None = None, state: SimulatorState | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.state = state or SimulatorState(self.config)
        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="sim-engine")
        self._stopping = threading.Event()
        self._webhooks = WebhookSender(self.state)

    @property
    def url(self) -> str:
        """The base URL clients use (and minted URLs start with)."""
        if self.config.public_url:
            return self.config.public_url.rstrip("/")
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        """Bind (port 0: any free port), serve from daemon threads and return the base URL."""
        server = _Server((host, port), _Handler)
        server.pipeline = Pipeline(self.state, ROUTES, lambda: self.url, self._submit)
        server.stopping = self._stopping
        self._server = server
        self._webhooks.start()
        self._threads = [
            threading.Thread(target=server.serve_forever, args=(_TICK_SECONDS,), name="sim-http", daemon=True),
            threading.Thread(target=self._tick, name="sim-ticker", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self.url

    def serve_forever(self, port: int, host: str = "127.0.0.1", on_ready: Callable[[str], None] = print) -> None:
        """Start, report the URL to `on_ready`, and block until interrupted (the CLI)."""
        on_ready(self.start(port, host))
        try:
            self._stopping.wait()
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving and release the port; in-flight slow responses are cut short."""
        self._stopping.set()
        self._webhooks.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _submit(self, work: Callable[[], None]) -> None:
        self._pool.submit(work).add_done_callback(_log_failure)

    def _tick(self) -> None:
        while not self._stopping.wait(_TICK_SECONDS):
            lifecycle.settle(self.state)

    def __enter__(self) -> Self:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
