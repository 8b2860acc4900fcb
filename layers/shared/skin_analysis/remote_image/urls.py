"""What an image_url must look like before anything is resolved: https, a host, no credentials.

`ImageUrlPolicy.check` is all the API does synchronously (no DNS in the request path): a bad scheme, a malformed
URL or a literal address we never connect to is refused at once. Names are judged at connect time (`fetch`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from skin_analysis.remote_image.addresses import forbidden_reason, literal_address
from skin_analysis.remote_image.errors import ImageUrlRefused

MAX_URL_LENGTH: Final = 2048
_HOST_NAME: Final = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$")


@dataclass(frozen=True, slots=True)
class Target:
    """One https request's destination: the host as written (for SNI, Host and the certificate) and the port."""

    url: str
    host: str
    port: int
    path: str

    @property
    def authority(self) -> str:
        """`host:port` (`[v6]:port`), the form allow-list entries are written in."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_target(url: str) -> Target:
    """Split an https URL into where to connect and what to ask for; ImageUrlRefused if it is not one."""
    if len(url) > MAX_URL_LENGTH:
        raise ImageUrlRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError as exc:
        raise ImageUrlRefused(f"the URL is malformed ({exc})") from exc
    if parts.scheme.lower() != "https":
        raise ImageUrlRefused(f"only https URLs are fetched, not {parts.scheme or 'a relative URL'}")
    if parts.username is not None or parts.password is not None:
        raise ImageUrlRefused("the URL must not carry a user name or password")
    host = (parts.hostname or "").lower()
    if not host:
        raise ImageUrlRefused("the URL has no host")
    if literal_address(host) is None and not _HOST_NAME.match(host):
        raise ImageUrlRefused("the host is not a valid DNS name or IP address (use the punycode form of IDNs)")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(url, host, port, path)


@dataclass(frozen=True, slots=True)
class ImageUrlPolicy:
    """The URL rules plus the local-only allow-list of exact `host:port` entries the address guard lets through."""

    allow_hosts: frozenset[str] = frozenset()

    @classmethod
    def of(cls, allow_hosts: tuple[str, ...] | list[str]) -> ImageUrlPolicy:
        """A policy from the `IMAGE_URL_ALLOW_HOSTS` entries (empty in every deployed stack)."""
        return cls(frozenset(entry.strip().lower() for entry in allow_hosts if entry.strip()))

    def allows(self, target: Target) -> bool:
        """Whether `target` is an allow-listed fixture server (the address guard is skipped for it alone)."""
        return target.authority in self.allow_hosts

    def check(self, url: str) -> Target:
        """The URL's target, refused (ImageUrlRefused) for a bad scheme or form or a forbidden literal address."""
        target = parse_target(url)
        address = literal_address(target.host)
        if address is not None and not self.allows(target):
            reason = forbidden_reason(address)
            if reason is not None:
                raise ImageUrlRefused(f"the host is a {reason} address ({address}); only public addresses are fetched")
        return target
