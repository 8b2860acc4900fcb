"""What an uploaded object is called in our world: its idempotency key and, for partner uploads, its analysis."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

PARTNER_PREFIX = "partners/"
_PARTNER_KEY = re.compile(r"^partners/(?P<partner_id>[^/]+)/(?P<analysis_id>[0-9a-f]{32,64})(?:\.[A-Za-z0-9]+)?$")


@dataclass(frozen=True, slots=True)
class ObjectIdentity:
    """One version of one object: bucket, key and the version id (or, in an unversioned bucket, the ETag)."""

    bucket: str
    key: str
    version: str

    @property
    def idempotency_key(self) -> str:
        """sha256 hex of bucket/key/version: the analysis id and execution name (64 chars, valid for AWS)."""
        return hashlib.sha256(f"{self.bucket}/{self.key}/{self.version}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PartnerUpload:
    """A photo a partner uploaded for an analysis it created through the API."""

    partner_id: str
    analysis_id: str


def parse_partner_key(key: str) -> PartnerUpload | None:
    """`partners/<partner_id>/<analysis_id>.<ext>` -> who and which analysis; None for any other key."""
    match = _PARTNER_KEY.match(key)
    if match is None:
        return None
    return PartnerUpload(match["partner_id"], match["analysis_id"])
