"""Serves photos over HTTPS on loopback for image_url: files from a directory, and redirects on request.

`GET /<name>` answers the file `<name>` of the served directory (404 if absent); `GET /redirect?to=<url>` answers
302 to `<url>` (the fetcher re-checks every hop, so this is how a redirect to a forbidden address is shown).
Every request is counted by path, so tests can prove what was (not) fetched.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar, Self
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from pathlib import Path
    from types import TracebackType

    from skin_analysis_local.image_fixtures.tls import LocalCertificates

logger = logging.getLogger(__name__)
_HANDSHAKE_SECONDS = 5.0
_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


class FixtureHandler(BaseHTTPRequestHandler):
    """The routes; subclasses add their own (tests add slow and endless bodies)."""

    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; with Nagle on, a keep-alive client waits 40 ms for each answer.
    disable_nagle_algorithm = True
    extra_routes: ClassVar[dict[str, str]] = {}

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.server.owner.record(parts.path)
        if parts.path == "/redirect":
            target = parse_qs(parts.query).get("to", [""])[0]
            self._answer(302, b"", {"Location": target})
            return
        route = self.extra_routes.get(parts.path)
        if route is not None:
            getattr(self, route)(parse_qs(parts.query))
            return
        name = parts.path.lstrip("/")
        path = self.server.owner.root / name
        if "/" in name or not name or not path.is_file():
            self._answer(404, b"not found", {"Content-Type": "text/plain"})
            return
        content_type = _TYPES.get(path.suffix.lower(), "application/octet-stream")
        self._answer(200, path.read_bytes(), {"Content-Type": content_type})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("image fixtures: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: ImageFixtureServer
    tls: ssl.SSLContext

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The handshake runs in the connection's own thread, bounded: a client that never completes it (or a port
        # probe) must not stall accept() and, with it, shutdown().
        request.settimeout(_HANDSHAKE_SECONDS)
        try:
            tls_request = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with tls_request:
            super().finish_request(tls_request, client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


class ImageFixtureServer:
    """The HTTPS fixture server on `host` (port 0: any free port); a context manager."""

    def __init__(
        self,
        root: Path,
        certificates: LocalCertificates,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        handler: type[FixtureHandler] = FixtureHandler,
    ) -> None:
        self.root = root
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = (_Server6 if ":" in host else _Server)((host, port), handler)
        self._server.owner = self
        self._server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server.tls.load_cert_chain(certificates.certificate, certificates.key)
        self._thread = threading.Thread(target=self._server.serve_forever, name="image-fixtures", daemon=True)

    @property
    def authority(self) -> str:
        """`host:port`, the IMAGE_URL_ALLOW_HOSTS entry of this server."""
        host, port = self._server.server_address[:2]
        return f"[{host!s}]:{port}" if ":" in str(host) else f"{host!s}:{port}"

    def url(self, path: str) -> str:
        """The https URL of `path` on this server."""
        return f"https://{self.authority}/{path.lstrip('/')}"

    def record(self, path: str) -> None:
        """Count one request for `path`."""
        with self._lock:
            self.requests[path] += 1

    @property
    def total_requests(self) -> int:
        """Requests received so far, any path."""
        with self._lock:
            return sum(self.requests.values())

    def start(self) -> Self:
        """Serve in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
