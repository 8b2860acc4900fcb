"""Idempotency-Key on POST /v1/analyses: a retry returns the first answer and creates nothing; the same key with
another body is a 422; the key is the partner's own, so two partners using one value get two analyses.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.integration.api.conftest import Answer, ApiStack, PartnerKey

BODY = {"quality": "sd", "dst_actions": ["wrinkle", "pore"]}


def post(
    api_stack: ApiStack, partner: PartnerKey, key: str, body: dict[str, Any], header: str = "Idempotency-Key"
) -> Answer:
    return api_stack.call("POST", "/v1/analyses", partner, json_body=body, headers={header: key})


def test_a_retry_with_the_same_key_returns_the_first_answer_and_creates_nothing(api_stack: ApiStack) -> None:
    # Given a partner that created an analysis with an Idempotency-Key
    partner = api_stack.partner()
    key = str(uuid.uuid4())
    first = post(api_stack, partner, key, BODY)
    assert first.status == 201, first

    # When it retries the same request, the header spelled in another case
    retry = post(api_stack, partner, key, dict(BODY), header="idempotency-KEY")

    # Then it gets the identical answer (same analysis, same form), and there is still one analysis
    assert retry.status == 201
    assert retry.body == first.body
    assert api_stack.listing(partner) == [first.body["analysis_id"]]


def test_a_retry_of_an_image_url_request_queues_one_fetch(api_stack: ApiStack) -> None:
    # Given an image_url request sent twice with one key
    partner = api_stack.partner()
    key = str(uuid.uuid4())
    body = {**BODY, "image_url": api_stack.images.url("selfie.jpg")}
    first = post(api_stack, partner, key, body)
    retry = post(api_stack, partner, key, body)

    # Then one analysis exists and one fetch was queued
    assert (first.status, retry.status) == (201, 201)
    assert retry.body == first.body
    assert api_stack.listing(partner) == [first.body["analysis_id"]]
    assert [request["analysis_id"] for request in api_stack.fetch_requests()] == [first.body["analysis_id"]]


def test_the_same_key_with_another_body_is_a_422_and_creates_nothing(api_stack: ApiStack) -> None:
    # Given a partner that created an analysis with an Idempotency-Key
    partner = api_stack.partner()
    key = str(uuid.uuid4())
    first = post(api_stack, partner, key, BODY)

    # When it sends another body with the same key
    answer = post(api_stack, partner, key, {**BODY, "dst_actions": ["acne"]})

    # Then it is refused with a clear code, and only the first analysis exists
    assert answer.status == 422
    assert answer.problem["code"] == "idempotency_key_reused"
    assert api_stack.listing(partner) == [first.body["analysis_id"]]


def test_two_partners_using_one_key_value_get_two_analyses(api_stack: ApiStack) -> None:
    # Given two partners that happen to use the same key value
    alice, bob = api_stack.partner("alice"), api_stack.partner("bob")
    key = str(uuid.uuid4())

    # When both create an analysis with it
    first, second = post(api_stack, alice, key, BODY), post(api_stack, bob, key, BODY)

    # Then each has its own analysis
    assert (first.status, second.status) == (201, 201)
    assert first.body["analysis_id"] != second.body["analysis_id"]
    assert api_stack.listing(alice) == [first.body["analysis_id"]]
    assert api_stack.listing(bob) == [second.body["analysis_id"]]


def test_without_a_key_every_post_creates_an_analysis(api_stack: ApiStack) -> None:
    # Given a partner posting the same body twice without a key
    partner = api_stack.partner()
    first, second = api_stack.create(partner, **BODY), api_stack.create(partner, **BODY)

    # Then those are two analyses
    assert first["analysis_id"] != second["analysis_id"]
    assert sorted(api_stack.listing(partner)) == sorted([first["analysis_id"], second["analysis_id"]])


def test_a_request_refused_with_a_key_can_be_corrected_and_retried_with_it(api_stack: ApiStack) -> None:
    # Given a request refused as invalid (a bad image_url) with a key
    partner = api_stack.partner()
    key = str(uuid.uuid4())
    refused = post(api_stack, partner, key, {**BODY, "image_url": "http://photos.example.com/a.jpg"})
    assert refused.status == 400

    # When it is retried with the same key and a corrected body
    answer = post(api_stack, partner, key, BODY)

    # Then the refusal left no record behind: the analysis is created
    assert answer.status == 201, answer
    assert api_stack.listing(partner) == [answer.body["analysis_id"]]


def test_an_overlong_key_is_a_400_naming_the_header(api_stack: ApiStack) -> None:
    # Given a key longer than 255 characters
    # When it is sent
    answer = post(api_stack, api_stack.partner(), "k" * 256, BODY)

    # Then the header is named as the invalid field
    assert answer.status == 400
    assert "dempotency" in answer.problem["field"]
