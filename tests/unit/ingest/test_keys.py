"""Idempotency keys and partner upload keys."""

from __future__ import annotations

import hashlib
import re

from hypothesis import given
from hypothesis import strategies as st

from skin_analysis.ingest import ObjectIdentity, PartnerUpload, parse_partner_key

# AWS execution names: 1-80 characters, none of whitespace, brackets, wildcards, punctuation or controls.
_VALID_EXECUTION_NAME = re.compile(r"^[0-9A-Za-z_-]{1,80}$")


@given(st.text(min_size=1), st.text(min_size=1), st.text(min_size=1))
def test_the_idempotency_key_is_a_valid_execution_name(bucket: str, key: str, version: str) -> None:
    assert _VALID_EXECUTION_NAME.match(ObjectIdentity(bucket, key, version).idempotency_key)


def test_the_idempotency_key_is_the_sha256_of_bucket_key_and_version() -> None:
    identity = ObjectIdentity("uploads", "incoming/a b.jpg", "v1")
    assert identity.idempotency_key == hashlib.sha256(b"uploads/incoming/a b.jpg/v1").hexdigest()
    assert identity.idempotency_key != ObjectIdentity("uploads", "incoming/a b.jpg", "v2").idempotency_key
    assert identity.idempotency_key != ObjectIdentity("other", "incoming/a b.jpg", "v1").idempotency_key


def test_a_partner_key_names_its_partner_and_analysis() -> None:
    analysis_id = "0123456789abcdef0123456789abcdef"
    assert parse_partner_key(f"partners/acme/{analysis_id}.jpg") == PartnerUpload("acme", analysis_id)
    assert parse_partner_key(f"partners/acme/{analysis_id}") == PartnerUpload("acme", analysis_id)


def test_other_keys_are_not_partner_uploads() -> None:
    assert parse_partner_key("incoming/0123456789abcdef0123456789abcdef.jpg") is None
    assert parse_partner_key("partners/acme/not-an-id.jpg") is None
    assert parse_partner_key("partners/acme/sub/0123456789abcdef0123456789abcdef.jpg") is None
