"""Which addresses an image_url may reach: globally routable unicast only, however the address is spelled.

`ipaddress` decides the categories; `socket.inet_aton` reads the spellings browsers and resolvers accept besides
dotted decimal (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`), so a literal cannot slip past as a "name".
IPv4-mapped IPv6 is refused outright; 6to4 and Teredo addresses are judged by the IPv4 address they embed.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Final

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NUMERIC_HOST: Final = re.compile(r"^[0-9a-fA-FxX.]+$")
_UNIQUE_LOCAL: Final = ipaddress.IPv6Network("fc00::/7")


def literal_address(host: str) -> IPAddress | None:
    """The address `host` spells (any IPv4 form, IPv6 without brackets), or None when it is a name."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0] if ":" in host else host)
    except ValueError:
        pass
    # inet_aton stops at the first space ("127.0.0.1 x" parses): only hand it what can only be a number.
    if not _NUMERIC_HOST.match(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def forbidden_reason(address: IPAddress) -> str | None:
    """Why we never connect to `address` ("loopback", "private", ...), or None for a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "IPv4-mapped IPv6"
        embedded = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None and forbidden_reason(embedded) is not None:
            return f"IPv6 embedding {forbidden_reason(embedded)} {embedded}"
        if address.is_site_local:
            return "site-local"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unique-local", isinstance(address, ipaddress.IPv6Address) and address in _UNIQUE_LOCAL),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    )
    return next((reason for reason, matches in checks if matches), None)
