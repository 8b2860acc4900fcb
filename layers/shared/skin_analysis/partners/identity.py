"""Who is calling: the partner registered for the API key API Gateway accepted, never anything the request says.

API Gateway puts the accepted key's id in `requestContext.identity.apiKeyId`; the Partners table maps it to the
partner. A short in-process cache saves a read per request; a removed partner's key is refused by API Gateway
itself at once, so the cache never extends access.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skin_analysis.models import Partner
from skin_analysis.partners.errors import UnknownApiKey

if TYPE_CHECKING:
    from collections.abc import Callable

#: How long a resolved key is trusted without reading the Partners table again.
DEFAULT_CACHE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class PartnerIdentity:
    """The caller: its partner id, its tier and the API key id it called with."""

    partner_id: str
    tier: str
    api_key_id: str


class PartnerDirectory:
    """Resolves API key ids to partners through the Partners table, with a small TTL cache."""

    def __init__(
        self, *, cache_seconds: float = DEFAULT_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, PartnerIdentity]] = {}
        self._lock = threading.Lock()

    def resolve(self, api_key_id: str | None) -> PartnerIdentity:
        """The partner of `api_key_id`; UnknownApiKey when there is none (or no key id at all)."""
        if not api_key_id:
            raise UnknownApiKey("the request carries no API key id")
        now = self._clock()
        with self._lock:
            cached = self._cache.get(api_key_id)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        try:
            item = Partner.get(api_key_id)
        except Partner.DoesNotExist:
            raise UnknownApiKey(f"API key id {api_key_id} belongs to no partner") from None
        identity = PartnerIdentity(partner_id=item.partner_id, tier=item.tier, api_key_id=api_key_id)
        with self._lock:
            self._cache[api_key_id] = (now, identity)
        return identity
