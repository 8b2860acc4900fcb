"""Real HTTPS servers on loopback for the image_url guard: an allow-listed fixture server and unlisted victims.

Every server counts the requests it receives, so "nothing fetched" is a count of zero, not an assumption.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from skin_analysis.remote_image import (
    FetchLimits,
    ImageUrlPolicy,
    RemoteImageFetcher,
    direct_connect,
    system_resolver,
)
from skin_analysis_local.image_fixtures import ImageFixtureServer, make_certificates
from skin_analysis_local.image_fixtures.server import FixtureHandler

if TYPE_CHECKING:
    import socket
    from collections.abc import Iterator, Sequence
    from pathlib import Path

    from skin_analysis.remote_image import IPAddress
    from skin_analysis_local.image_fixtures import LocalCertificates

PHOTO = b"\xff\xd8\xff\xe0" + b"photo bytes" * 10
MAX_BYTES = 64 * 1024
TIMEOUT_SECONDS = 1.5


class SlowHandler(FixtureHandler):
    """Adds `/drip` (one body byte every 0.2 s), `/drip-headers` (one header byte every 0.2 s), both forever, and
    `/endless` (no Content-Length, never ends)."""

    extra_routes: ClassVar[dict[str, str]] = {"/drip": "drip", "/drip-headers": "drip_headers", "/endless": "endless"}

    def drip_headers(self, query: dict[str, list[str]]) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        self._drip(b"x", 0.2)

    def drip(self, query: dict[str, list[str]]) -> None:
        self._stream(b"x", 0.2)

    def endless(self, query: dict[str, list[str]]) -> None:
        self._stream(b"\xff" * 16384, 0.0)

    def _stream(self, chunk: bytes, pause: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Connection", "close")
        self.end_headers()
        self._drip(chunk, pause)

    def _drip(self, chunk: bytes, pause: float) -> None:
        try:
            while True:
                self.wfile.write(chunk)
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            return


@dataclass
class RecordingConnector:
    """Connects like the real connector, but to `route_to` whatever the address, recording each attempt.

    A guard that let 10.0.0.1 through would then really fetch from the victim: the records and the victim's
    count both show it.
    """

    route_to: tuple[str, int] | None = None
    attempts: list[str] = field(default_factory=list)

    def __call__(self, address: IPAddress, port: int, timeout: float) -> socket.socket:
        self.attempts.append(f"{address}:{port}")
        if self.route_to is None:
            return direct_connect(address, port, timeout)
        return direct_connect(ipaddress.ip_address(self.route_to[0]), self.route_to[1], timeout)


@dataclass
class StubResolver:
    """Names the test chose, resolved to the addresses it chose; anything else goes to the system resolver."""

    answers: dict[str, Sequence[IPAddress]]
    asked: list[str] = field(default_factory=list)

    def __call__(self, host: str, port: int) -> Sequence[IPAddress]:
        self.asked.append(host)
        return self.answers[host] if host in self.answers else system_resolver(host, port)


@dataclass
class Servers:
    certificates: LocalCertificates
    fixture: ImageFixtureServer
    victim: ImageFixtureServer
    victim6: ImageFixtureServer

    def fetcher(self, *, resolver: Any = None, connect: Any = None, **limits: Any) -> RemoteImageFetcher:
        """A fetcher trusting the local CA, with only the fixture server allow-listed."""
        extra = {key: value for key, value in (("resolver", resolver), ("connect", connect)) if value is not None}
        return RemoteImageFetcher(
            ImageUrlPolicy.of([self.fixture.authority]),
            FetchLimits(**{"max_bytes": MAX_BYTES, "timeout_seconds": TIMEOUT_SECONDS, **limits}),
            ca_bundle=str(self.certificates.ca_bundle),
            **extra,
        )

    @property
    def victim_requests(self) -> int:
        return self.victim.total_requests + self.victim6.total_requests


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    directory: Path = tmp_path_factory.mktemp("image-fixtures")
    certificates = make_certificates(directory / "tls")
    root = directory / "photos"
    root.mkdir()
    (root / "photo.jpg").write_bytes(PHOTO)
    (root / "big.jpg").write_bytes(b"\xff" * (MAX_BYTES + 1))
    with (
        ImageFixtureServer(root, certificates, handler=SlowHandler) as fixture,
        ImageFixtureServer(root, certificates) as victim,
        ImageFixtureServer(root, certificates, host="::1") as victim6,
    ):
        yield Servers(certificates, fixture, victim, victim6)


@pytest.fixture
def fresh(servers: Servers) -> Servers:
    """The servers with their request counts at zero."""
    for server in (servers.fixture, servers.victim, servers.victim6):
        server.requests.clear()
    return servers
