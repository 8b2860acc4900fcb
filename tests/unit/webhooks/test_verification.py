"""Verification over raw bytes with the official library: rotation, staleness, tampering and malformed input."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from http import HTTPStatus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skin_analysis.settings import ConfigurationError
from skin_analysis.webhooks import (
    RejectionReason,
    SigningKeys,
    StaticSigningKeys,
    WebhookRejected,
    WebhookVerifier,
    raw_body,
    signing_keys_from,
)
from skin_analysis_local.simulator.signing import generate_secret
from skin_analysis_local.simulator.signing import signature_header as simulator_signature_header
from tests.unit.webhooks.signing import TASK_ID, new_secret, notification_body, signature, signed_headers

CURRENT, PREVIOUS = new_secret(), new_secret()


def verifier(current: str = CURRENT, previous: str | None = None) -> WebhookVerifier:
    return WebhookVerifier(StaticSigningKeys(SigningKeys.of(current, previous)))


def rejection(check: WebhookVerifier, body: bytes, headers: dict[str, str]) -> RejectionReason:
    with pytest.raises(WebhookRejected) as refused:
        check.verify(body, headers)
    return refused.value.reason


def test_a_delivery_signed_with_the_current_secret_verifies() -> None:
    # Given a body signed by the library with our current secret
    body = notification_body()
    headers = signed_headers(body, CURRENT)

    # When it is verified
    webhook = verifier().verify(body, headers)

    # Then the delivery's id and task come out, verified by the current secret
    assert webhook.webhook_id == headers["webhook-id"]
    assert webhook.task_id == TASK_ID
    assert webhook.notification.data.task_status == "success"
    assert webhook.secret_slot == "current"
    assert not webhook.signed_with_previous


def test_header_names_are_case_insensitive() -> None:
    body = notification_body()
    headers = {name.title(): value for name, value in signed_headers(body, CURRENT).items()}
    assert verifier().verify(body, headers).task_id == TASK_ID


def test_during_a_rotation_the_previous_secret_still_verifies() -> None:
    # Given the secret document holds the new secret as current and the old one as previous
    check = verifier(CURRENT, PREVIOUS)
    body = notification_body()

    # Then a sender still on the old secret, one on the new, and one signing with both all verify
    assert check.verify(body, signed_headers(body, PREVIOUS)).secret_slot == "previous"
    assert check.verify(body, signed_headers(body, CURRENT)).secret_slot == "current"
    assert check.verify(body, signed_headers(body, PREVIOUS, CURRENT)).secret_slot == "current"


def test_after_the_rotation_the_old_secret_fails() -> None:
    body = notification_body()
    assert rejection(verifier(CURRENT), body, signed_headers(body, PREVIOUS)) is RejectionReason.INVALID_SIGNATURE


def test_unpadded_secrets_like_the_docs_example_verify() -> None:
    # The contract's example secret is unpadded base64; the simulator can issue such secrets.
    secret = generate_secret(unpadded=True)
    body = notification_body()
    at = int(time.time())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(at),
        "webhook-signature": simulator_signature_header([secret], "msg_1", at, body),
    }
    assert verifier(secret).verify(body, headers).webhook_id == "msg_1"


def test_a_tampered_body_fails() -> None:
    body = notification_body(status="success")
    headers = signed_headers(body, CURRENT)
    tampered = body.replace(b'"success"', b'"error"')
    assert rejection(verifier(), tampered, headers) is RejectionReason.INVALID_SIGNATURE


def test_a_forged_signature_fails() -> None:
    body = notification_body()
    headers = signed_headers(body, new_secret())
    assert rejection(verifier(CURRENT, PREVIOUS), body, headers) is RejectionReason.INVALID_SIGNATURE


def test_a_reused_signature_with_another_id_fails() -> None:
    body = notification_body()
    headers = signed_headers(body, CURRENT)
    assert rejection(verifier(), body, {**headers, "webhook-id": "msg_other"}) is RejectionReason.INVALID_SIGNATURE


def test_only_v1_entries_count() -> None:
    body = notification_body()
    headers = signed_headers(body, CURRENT)
    v2 = headers["webhook-signature"].replace("v1,", "v2,")
    assert rejection(verifier(), body, {**headers, "webhook-signature": v2}) is RejectionReason.INVALID_SIGNATURE


def test_a_stale_timestamp_fails_even_when_correctly_signed() -> None:
    body = notification_body()
    headers = signed_headers(body, CURRENT, timestamp=int(time.time()) - 600)
    assert rejection(verifier(), body, headers) is RejectionReason.STALE


def test_a_timestamp_from_the_future_fails() -> None:
    body = notification_body()
    headers = signed_headers(body, CURRENT, timestamp=int(time.time()) + 600)
    assert rejection(verifier(), body, headers) is RejectionReason.FROM_THE_FUTURE


@settings(max_examples=40, deadline=None)
@given(offset=st.integers(min_value=-290, max_value=290))
def test_timestamps_within_the_tolerance_verify(offset: int) -> None:
    body = notification_body()
    headers = signed_headers(body, CURRENT, timestamp=int(time.time()) + offset)
    assert verifier().verify(body, headers).task_id == TASK_ID


@settings(max_examples=40, deadline=None)
@given(offset=st.integers(min_value=310, max_value=10**7), sign=st.sampled_from([-1, 1]))
def test_timestamps_outside_the_tolerance_fail(offset: int, sign: int) -> None:
    body = notification_body()
    headers = signed_headers(body, CURRENT, timestamp=int(time.time()) + sign * offset)
    expected = RejectionReason.STALE if sign < 0 else RejectionReason.FROM_THE_FUTURE
    assert rejection(verifier(), body, headers) is expected


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_fails(missing: str) -> None:
    body = notification_body()
    headers = signed_headers(body, CURRENT)
    del headers[missing]
    assert rejection(verifier(), body, headers) is RejectionReason.MISSING_HEADERS


def test_a_header_less_request_fails() -> None:
    assert rejection(verifier(), notification_body(), {"Content-Type": "application/json"}) is (
        RejectionReason.MISSING_HEADERS
    )


def test_an_empty_header_counts_as_missing() -> None:
    body = notification_body()
    headers = {**signed_headers(body, CURRENT), "webhook-signature": ""}
    assert rejection(verifier(), body, headers) is RejectionReason.MISSING_HEADERS


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("webhook-timestamp", "yesterday"),
        ("webhook-timestamp", "nan"),
        ("webhook-timestamp", "1e30"),
        ("webhook-signature", "v1"),  # no comma: the library's unpacking raises ValueError
        ("webhook-signature", "v1,a,b"),
        ("webhook-signature", "v1,not base64!"),  # binascii.Error
        ("webhook-signature", "v1,abc"),  # incorrect padding
        ("webhook-signature", "v1,c2ln  v1,c2ln"),  # a double space makes an empty entry
    ],
)
def test_malformed_headers_fail_without_raising_anything_else(header: str, value: str) -> None:
    body = notification_body()
    headers = {**signed_headers(body, CURRENT), header: value}
    assert rejection(verifier(CURRENT, PREVIOUS), body, headers) is RejectionReason.MALFORMED_HEADERS


def test_a_body_that_is_not_utf8_fails() -> None:
    body = b"\xff\xfe" + notification_body()
    assert rejection(verifier(), body, signed_headers(notification_body(), CURRENT)) is (RejectionReason.MALFORMED_BODY)


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"created_at":1}', b'{"data":{"task_status":"success"}}'])
def test_a_verified_body_that_is_not_a_notification_is_a_400(body: bytes) -> None:
    with pytest.raises(WebhookRejected) as refused:
        verifier().verify(body, signed_headers(body, CURRENT))
    assert refused.value.reason is RejectionReason.UNEXPECTED_BODY
    assert refused.value.reason.status_code == HTTPStatus.BAD_REQUEST


def test_every_other_reason_is_a_401() -> None:
    others = set(RejectionReason) - {RejectionReason.UNEXPECTED_BODY}
    assert {reason.status_code for reason in others} == {HTTPStatus.UNAUTHORIZED}


class TestRawBody:
    def test_a_text_body_is_its_utf8_bytes(self) -> None:
        assert raw_body('{"a":"é"}', is_base64_encoded=False) == '{"a":"é"}'.encode()

    def test_a_base64_body_is_decoded_only_when_flagged(self) -> None:
        body = notification_body()
        encoded = base64.b64encode(body).decode()
        assert raw_body(encoded, is_base64_encoded=True) == body
        assert raw_body(encoded, is_base64_encoded=False) == encoded.encode()

    def test_a_missing_body_is_empty(self) -> None:
        assert raw_body(None, is_base64_encoded=None) == b""

    @pytest.mark.parametrize("body", ["not base64!", "abc", "eyJh*"])
    def test_malformed_base64_is_refused(self, body: str) -> None:
        with pytest.raises(WebhookRejected) as refused:
            raw_body(body, is_base64_encoded=True)
        assert refused.value.reason is RejectionReason.MALFORMED_BODY

    def test_a_base64_encoded_delivery_verifies_over_the_decoded_bytes(self) -> None:
        body = notification_body()
        headers = signed_headers(body, CURRENT)
        decoded = raw_body(base64.b64encode(body).decode(), is_base64_encoded=True)
        assert verifier().verify(decoded, headers).task_id == TASK_ID


@dataclass
class RotatingSource:
    """Cached keys that are out of date, and what a fresh read returns (None: not allowed yet)."""

    cached: SigningKeys
    fresh: SigningKeys | None
    refreshes: list[int] = field(default_factory=list)

    def keys(self) -> SigningKeys:
        return self.cached

    def refreshed(self) -> SigningKeys | None:
        self.refreshes.append(1)
        return self.fresh


def test_a_signature_no_cached_key_matches_reads_the_secret_again() -> None:
    # Given a warm environment that cached the secret before the operator rotated it
    source = RotatingSource(SigningKeys.of(PREVIOUS), SigningKeys.of(CURRENT, PREVIOUS))
    body = notification_body()

    # When the provider signs with the new secret
    webhook = WebhookVerifier(source).verify(body, signed_headers(body, CURRENT))

    # Then the secret is read again and the delivery verifies
    assert webhook.secret_slot == "current"
    assert source.refreshes == [1]


def test_no_refresh_for_failures_that_do_not_depend_on_the_secret() -> None:
    source = RotatingSource(SigningKeys.of(PREVIOUS), SigningKeys.of(CURRENT))
    body = notification_body()
    headers = signed_headers(body, CURRENT, timestamp=int(time.time()) - 900)
    assert rejection(WebhookVerifier(source), body, headers) is RejectionReason.STALE
    assert source.refreshes == []


def test_when_a_refresh_is_not_allowed_yet_the_delivery_is_refused() -> None:
    source = RotatingSource(SigningKeys.of(PREVIOUS), None)
    body = notification_body()
    assert rejection(WebhookVerifier(source), body, signed_headers(body, CURRENT)) is (
        RejectionReason.INVALID_SIGNATURE
    )


class TestSecretDocument:
    def test_current_and_previous(self) -> None:
        keys = signing_keys_from({"current": CURRENT, "previous": PREVIOUS}, "webhook-secret")
        assert [key.slot for key in keys] == ["current", "previous"]

    @pytest.mark.parametrize("previous", [None, "", "  "])
    def test_no_previous(self, previous: str | None) -> None:
        keys = signing_keys_from({"current": CURRENT, "previous": previous}, "webhook-secret")
        assert keys.previous is None

    def test_a_secret_without_the_prefix_is_used_as_base64(self) -> None:
        # The template's generated secret is 40 alphanumerics: valid base64 without `whsec_`.
        generated = "a" * 40
        body = notification_body()
        keys = signing_keys_from({"current": generated, "previous": None}, "webhook-secret")
        webhook = WebhookVerifier(StaticSigningKeys(keys)).verify(body, signed_headers(body, generated))
        assert webhook.task_id == TASK_ID

    @pytest.mark.parametrize(
        "document",
        [
            "whsec_abc",
            ["whsec_abc"],
            {},
            {"current": ""},
            {"current": 42},
            {"current": "whsec_c2VjcmV0", "previous": 7},
            {"current": "whsec_"},
        ],
    )
    def test_a_bad_document_is_a_configuration_error_that_never_shows_the_secret(self, document: object) -> None:
        with pytest.raises(ConfigurationError) as error:
            signing_keys_from(document, "webhook-secret")
        assert "c2VjcmV0" not in str(error.value)


def test_signatures_from_the_helper_match_the_simulators() -> None:
    # The test helper and the simulator sign the same bytes the same way (both are Standard Webhooks).
    secret, body, at = new_secret(), notification_body(), int(time.time())
    assert signature(secret, "msg_1", at, body) == simulator_signature_header([secret], "msg_1", at, body)
