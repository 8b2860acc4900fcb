"""POST /v1/analyses: the item first, then a presigned POST that carries the options to ingest as metadata."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import requests

from skin_analysis.ingest import parse_partner_key, resolve_options
from skin_analysis.models import AnalysisStatus, utc_now
from tests.integration.api.conftest import MAX_UPLOAD_BYTES, UPLOAD_URL_TTL_SECONDS
from tests.integration.provider.conftest import jpeg

if TYPE_CHECKING:
    from tests.integration.api.conftest import ApiStack


def test_create_stores_the_item_and_returns_an_upload_form(api_stack: ApiStack) -> None:
    # Given a partner
    partner = api_stack.partner()

    # When it creates an HD analysis
    before = utc_now()
    created = api_stack.create(partner, quality="hd", dst_actions=["hd_wrinkle", "hd_pore", "hd_wrinkle"])

    # Then the answer says AWAITING_UPLOAD with a POST form valid for the upload TTL
    assert created["status"] == "AWAITING_UPLOAD"
    assert created["dst_actions"] == ["hd_wrinkle", "hd_pore"]
    upload = created["upload"]
    assert upload["method"] == "POST"
    assert upload["max_bytes"] == MAX_UPLOAD_BYTES
    expires_at = datetime.fromisoformat(upload["expires_at"])
    assert before + timedelta(seconds=UPLOAD_URL_TTL_SECONDS - 5) < expires_at
    assert expires_at < utc_now() + timedelta(seconds=UPLOAD_URL_TTL_SECONDS + 5)
    # And the item exists already, owned by the partner, at the key ingest maps back to it
    item = api_stack.item(created["analysis_id"])
    assert item is not None
    assert item.status is AnalysisStatus.AWAITING_UPLOAD
    assert item.partner_id == partner.partner_id
    assert (item.quality, list(item.dst_actions)) == ("hd", ["hd_wrinkle", "hd_pore"])
    assert item.expires_at is not None
    fields = upload["fields"]
    assert fields["key"] == item.source_key == f"partners/{partner.partner_id}/{created['analysis_id']}.jpg"
    upload_key = parse_partner_key(fields["key"])
    assert upload_key is not None
    assert (upload_key.partner_id, upload_key.analysis_id) == (partner.partner_id, created["analysis_id"])


def test_the_form_uploads_the_photo_with_the_options_ingest_reads(api_stack: ApiStack) -> None:
    # Given a created analysis
    created = api_stack.create(api_stack.partner(), quality="sd", dst_actions=["acne", "redness"])
    upload = created["upload"]
    photo = jpeg(600, 800)

    # When the photo is POSTed with the form, exactly as a partner would
    response = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("selfie.jpg", photo, "image/jpeg")}, timeout=10
    )

    # Then S3 stored it at the analysis's key, with the options as metadata ingest turns back into the request
    assert response.status_code == 204, response.text
    head = api_stack.s3.head_object(Bucket=api_stack.uploads_bucket, Key=upload["fields"]["key"])
    assert head["ContentLength"] == len(photo)
    options = resolve_options(head["Metadata"], default_quality="hd", default_actions=["hd_pore"])
    assert (options.quality.value, options.dst_actions) == ("sd", ("acne", "redness"))


def test_the_form_caps_the_size_and_pins_key_and_options(api_stack: ApiStack) -> None:
    # Given a created analysis
    created = api_stack.create(api_stack.partner(), content_type="image/png")

    # Then the signed policy says what S3 enforces on AWS (moto does not enforce policies)
    policy = api_stack.decoded_policy(created["upload"]["fields"])
    conditions = policy["conditions"]
    assert ["content-length-range", 1, MAX_UPLOAD_BYTES] in conditions
    assert {"key": created["upload"]["fields"]["key"]} in conditions
    assert {"x-amz-meta-skin-quality": "sd"} in conditions
    assert {"x-amz-meta-skin-actions": "wrinkle,pore"} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert created["upload"]["fields"]["key"].endswith(".png")


def test_an_sd_hd_mix_is_a_400_naming_dst_actions(api_stack: ApiStack) -> None:
    partner = api_stack.partner()

    answer = api_stack.call(
        "POST", "/v1/analyses", partner, json_body={"quality": "sd", "dst_actions": ["wrinkle", "hd_pore"]}
    )

    assert answer.status == 400
    assert answer.problem["code"] == "invalid_options"
    assert answer.problem["field"] == "dst_actions"
    assert "fix" in answer.problem
    assert api_stack.listing(partner) == []


def test_a_quality_that_disagrees_with_the_actions_is_a_400_naming_quality(api_stack: ApiStack) -> None:
    answer = api_stack.call(
        "POST", "/v1/analyses", api_stack.partner(), json_body={"quality": "hd", "dst_actions": ["wrinkle"]}
    )

    assert answer.status == 400
    assert answer.problem["field"] == "quality"


def test_malformed_bodies_are_400s_naming_the_field(api_stack: ApiStack) -> None:
    partner = api_stack.partner()
    cases = {
        "dst_actions": {"quality": "sd"},
        "quality": {"quality": "uhd", "dst_actions": ["wrinkle"]},
        "image_url": {"quality": "sd", "dst_actions": ["wrinkle"], "image_url": ""},
        "photo_url": {"quality": "sd", "dst_actions": ["wrinkle"], "photo_url": "https://example.com/a.jpg"},
        "content_type": {"quality": "sd", "dst_actions": ["wrinkle"], "content_type": "image/gif"},
    }
    for field, body in cases.items():
        answer = api_stack.call("POST", "/v1/analyses", partner, json_body=body)
        assert answer.status == 400, (field, answer)
        assert answer.problem["code"] == "invalid_field"
        assert answer.problem["field"] == field, answer.body
        assert field in answer.problem["detail"]

    answer = api_stack.call("POST", "/v1/analyses", partner, json_body=["wrinkle"])
    assert (answer.status, answer.problem["field"]) == (400, "body")
    answer = api_stack.call("POST", "/v1/analyses", partner, raw_body='{"quality": "sd",')
    assert (answer.status, answer.problem["field"]) == (400, "body")
    assert api_stack.listing(partner) == []


def test_an_oversized_body_is_a_413_and_a_non_json_body_a_415(api_stack: ApiStack) -> None:
    partner = api_stack.partner()

    too_large = api_stack.call(
        "POST", "/v1/analyses", partner, json_body={"quality": "sd", "dst_actions": ["wrinkle"] * 5000}
    )
    not_json = api_stack.call(
        "POST", "/v1/analyses", partner, raw_body="quality=sd", headers={"Content-Type": "text/plain"}
    )

    assert too_large.status == 413
    assert too_large.problem["code"] == "payload_too_large"
    assert not_json.status == 415
    assert not_json.problem["code"] == "unsupported_media_type"
    assert api_stack.listing(partner) == []


def test_without_a_known_key_every_route_is_a_403(api_stack: ApiStack) -> None:
    # Given an analysis of a real partner, and a key id no partner has
    created = api_stack.create(api_stack.partner())
    stranger = type(api_stack.partner())("nobody", "unknown-key-id")
    path = f"/v1/analyses/{created['analysis_id']}"

    for partner in (None, stranger):
        answers = [
            api_stack.call("POST", "/v1/analyses", partner, json_body={"quality": "sd", "dst_actions": ["wrinkle"]}),
            api_stack.call("GET", "/v1/analyses", partner),
            api_stack.call("GET", path, partner),
            api_stack.call("DELETE", path, partner),
        ]
        assert [answer.status for answer in answers] == [403] * 4
        assert {answer.problem["code"] for answer in answers} == {"forbidden"}
    assert api_stack.item(created["analysis_id"]) is not None
