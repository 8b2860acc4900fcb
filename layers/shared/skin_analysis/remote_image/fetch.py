"""Fetch the photo at an image_url without letting the URL reach anything but public https servers.

Every hop (the URL, then at most `max_redirects` redirects) is checked as a URL, resolved at connect time and
refused if any address it resolves to is not public; the body is capped in bytes and the whole fetch in time.
Allow-listed `host:port` entries (the local stack's fixture server only) skip the address check, nothing else.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from http.client import HTTPException
from typing import TYPE_CHECKING, Final, Self
from urllib.parse import urljoin

import certifi
from urllib3.exceptions import HTTPError, ReadTimeoutError

from skin_analysis.remote_image.addresses import forbidden_reason, literal_address
from skin_analysis.remote_image.connection import PinnedHTTPSConnection, direct_connect, system_resolver
from skin_analysis.remote_image.errors import DownloadFailed, ImageUrlRefused

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from urllib3.response import BaseHTTPResponse

    from skin_analysis.remote_image.addresses import IPAddress
    from skin_analysis.remote_image.connection import Connector, Resolver
    from skin_analysis.remote_image.urls import ImageUrlPolicy, Target

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_CHUNK: Final = 64 * 1024
# Shared by every fetch of the execution environment; one stuck resolution does not block the others.
_RESOLUTIONS: Final = ThreadPoolExecutor(max_workers=4, thread_name_prefix="image-url-dns")
_HEADERS: Final = {"Accept": "image/*", "Accept-Encoding": "identity", "User-Agent": "skin-analysis-image-fetch/1"}


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """How much and how long: the body cap, the cap on the whole fetch (every hop), and the redirects allowed."""

    max_bytes: int
    timeout_seconds: float
    max_redirects: int = 3


@dataclass(frozen=True, slots=True)
class FetchedImage:
    """The bytes served by the last hop, and how many redirects led there."""

    data: bytes
    redirects: int


@dataclass(frozen=True, slots=True)
class _Answer:
    response: BaseHTTPResponse
    sock: socket.socket | None


class _Deadline:
    """The fetch's time cap: the time left, and a watchdog that shuts every socket of the fetch when it passes.

    Socket timeouts bound one receive each, not a server sending its headers or body a byte at a time; the
    watchdog bounds the whole fetch, whatever it is blocked in (name resolution is waited for with the time left).
    """

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self._seconds = seconds
        self._clock = clock
        self._at = clock() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._expired = False
        self._watchdog = threading.Timer(seconds, self._expire)
        self._watchdog.daemon = True

    def __enter__(self) -> Self:
        self._watchdog.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._watchdog.cancel()

    @property
    def passed(self) -> DownloadFailed | None:
        """The failure to report when the cap has passed, else None."""
        if self._expired or self._clock() >= self._at:
            return DownloadFailed(f"the download took longer than {self._seconds:g} s")
        return None

    def remaining(self) -> float:
        """Seconds left; DownloadFailed once the cap has passed."""
        failure = self.passed
        if failure is not None:
            raise failure
        return self._at - self._clock()

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down when the cap passes."""
        with self._lock:
            self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class RemoteImageFetcher:
    """GET an image_url under the SSRF guard, the size cap and the time cap; raises DownloadFailed."""

    def __init__(
        self,
        policy: ImageUrlPolicy,
        limits: FetchLimits,
        *,
        ca_bundle: str | None = None,
        resolver: Resolver = system_resolver,
        connect: Connector = direct_connect,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._policy = policy
        self._limits = limits
        self._resolver = resolver
        self._connect = connect
        self._clock = clock
        self._tls = ssl.create_default_context(cafile=ca_bundle or certifi.where())

    def __call__(self, url: str) -> FetchedImage:
        """The photo's bytes; ImageUrlRefused for a forbidden hop, DownloadFailed for any other failure."""
        with _Deadline(self._limits.timeout_seconds, self._clock) as deadline:
            return self._fetch(url, deadline)

    def _fetch(self, url: str, deadline: _Deadline) -> FetchedImage:
        current = url
        for redirects in range(self._limits.max_redirects + 1):
            target = self._policy.check(current)
            connection = PinnedHTTPSConnection(
                target,
                open_socket=partial(self._open_socket, target, deadline),
                on_connected=deadline.watch,
                timeout=deadline.remaining(),
                ssl_context=self._tls,
            )
            try:
                answer = self._get(connection, target, deadline)
                response = answer.response
                if response.status in _REDIRECTS:
                    current = self._redirect(response, current)
                    continue
                if response.status != HTTPStatus.OK:
                    raise DownloadFailed(f"the server answered HTTP {response.status}")
                return FetchedImage(self._read(answer, deadline), redirects)
            except (ReadTimeoutError, TimeoutError) as exc:
                raise DownloadFailed(f"the download took longer than {self._limits.timeout_seconds:g} s") from exc
            except (HTTPError, HTTPException, OSError) as exc:
                # A socket the watchdog shut down surfaces as a reset or a truncated answer: say why it was cut.
                raise deadline.passed or DownloadFailed(f"the download failed: {_describe(exc)}") from exc
            finally:
                connection.close()
        raise DownloadFailed(f"more than {self._limits.max_redirects} redirects")

    def _open_socket(self, target: Target, deadline: _Deadline) -> socket.socket:
        addresses = self._vetted_addresses(target, deadline)
        failures: list[str] = []
        for address in addresses:
            try:
                sock = self._connect(address, target.port, deadline.remaining())
            except OSError as exc:
                failures.append(f"{address}: {_describe(exc)}")
                continue
            deadline.watch(sock)
            return sock
        raise DownloadFailed(f"could not connect to {target.host}:{target.port} ({'; '.join(failures)})")

    def _vetted_addresses(self, target: Target, deadline: _Deadline) -> Sequence[IPAddress]:
        """Every address of the host, all checked: one forbidden address refuses the host (no mixed answers)."""
        literal = literal_address(target.host)
        if literal is not None:
            addresses: Sequence[IPAddress] = [literal]
        else:
            # getaddrinfo cannot be interrupted: it runs aside, and the fetch stops waiting for it at the cap.
            answer = _RESOLUTIONS.submit(self._resolver, target.host, target.port)
            try:
                addresses = answer.result(timeout=deadline.remaining())
            except FutureTimeout as exc:
                raise deadline.passed or DownloadFailed("name resolution timed out") from exc
            except OSError as exc:
                raise DownloadFailed(f"{target.host} could not be resolved ({_describe(exc)})") from exc
        if not addresses:
            raise DownloadFailed(f"{target.host} has no address")
        if not self._policy.allows(target):
            for address in addresses:
                reason = forbidden_reason(address)
                if reason is not None:
                    raise ImageUrlRefused(f"{target.host} resolves to a {reason} address ({address})")
        return addresses

    @staticmethod
    def _get(connection: PinnedHTTPSConnection, target: Target, deadline: _Deadline) -> _Answer:
        connection.request("GET", target.path, headers=_HEADERS, preload_content=False, decode_content=False)
        # Kept: http.client drops the connection's socket when the response says "close"; the body still reads it.
        sock = connection.sock
        connection.timeout = deadline.remaining()
        return _Answer(connection.getresponse(), sock)

    @staticmethod
    def _redirect(response: BaseHTTPResponse, current: str) -> str:
        location = response.headers.get("Location")
        if not location:
            raise DownloadFailed(f"the server answered HTTP {response.status} without a Location")
        return urljoin(current, location)

    def _read(self, answer: _Answer, deadline: _Deadline) -> bytes:
        limit = self._limits.max_bytes
        declared = answer.response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise DownloadFailed(f"the image is {declared} bytes; the limit is {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = deadline.remaining()
            if answer.sock is not None:
                answer.sock.settimeout(remaining)
            # One receive per call, so a trickling server meets the deadline instead of filling a buffer forever.
            chunk = answer.response.read1(_CHUNK, decode_content=False)
            if not chunk:
                # An end cut by the watchdog is no end of the body.
                deadline.remaining()
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise DownloadFailed(f"the image is over the limit of {limit} bytes")
            chunks.append(chunk)


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
