"""An HTTPS connection that resolves and vets its host itself, at connect time, and connects to a vetted address.

Resolving in the connection (not before it) leaves no gap for a second DNS answer: the addresses checked are the
addresses connected to. TLS still uses the host as written, for SNI, the Host header and certificate matching.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING

from urllib3.connection import HTTPSConnection

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Sequence

    from skin_analysis.remote_image.addresses import IPAddress
    from skin_analysis.remote_image.urls import Target

type Resolver = Callable[[str, int], Sequence[IPAddress]]
type Connector = Callable[[IPAddress, int, float], socket.socket]


def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for `host` (A and AAAA), in its order, without duplicates."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(answer[4][0]).split("%", 1)[0]) for answer in answers))


def direct_connect(address: IPAddress, port: int, timeout: float) -> socket.socket:
    """A TCP connection to exactly `address` (no name resolution happens here)."""
    return socket.create_connection((str(address), port), timeout=timeout)


class PinnedHTTPSConnection(HTTPSConnection):
    """One HTTPS connection to `target` whose socket comes from `open_socket` (which resolves and vets)."""

    def __init__(
        self,
        target: Target,
        *,
        open_socket: Callable[[], socket.socket],
        on_connected: Callable[[socket.socket], None],
        timeout: float,
        ssl_context: ssl.SSLContext,
    ) -> None:
        super().__init__(target.host, target.port, timeout=timeout, ssl_context=ssl_context)
        self._open_socket = open_socket
        self._on_connected = on_connected

    def _new_conn(self) -> socket.socket:
        return self._open_socket()

    def connect(self) -> None:
        """Connect and handshake, then report the TLS socket (wrapping detached the one `open_socket` gave)."""
        super().connect()
        if self.sock is not None:
            self._on_connected(self.sock)
