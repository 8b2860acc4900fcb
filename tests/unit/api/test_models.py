"""Request and response models, and the pure rules behind them: options, cursors, the upload window, forms."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from hypothesis import given
from hypothesis import strategies as st
from openapi_schema_validator import OAS31Validator
from pydantic import ValidationError
from pynamodb.constants import DATETIME_FORMAT

from skin_analysis.api import build_resolver, openapi_document
from skin_analysis.api.models import AnalysisResponse, AnalysisSummary, CreateAnalysisRequest
from skin_analysis.errors import ErrorCode
from skin_analysis.ingest.options import AnalysisOptions
from skin_analysis.models import Analysis, AnalysisStatus
from skin_analysis.partners import (
    AnalysisReading,
    InvalidAnalysisOptions,
    InvalidField,
    ListedAnalysis,
    UploadForms,
    UploadWindow,
    checked_options,
    new_analysis_id,
    partner_upload_key,
)
from skin_analysis.partners.list_analyses import decode_cursor, encode_cursor
from skin_analysis.partners.read_analysis import status_reading
from skin_analysis.partners.registry import InvalidPartnerId, check_partner_id, usage_plans_by_tier
from skin_analysis.quality import Quality

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WINDOW = UploadWindow(ttl_seconds=900, grace_seconds=120)


def _item(status: AnalysisStatus, **attributes: Any) -> Analysis:
    return Analysis(
        new_analysis_id(),
        status=status,
        partner_id="demo-partner-a",
        quality="sd",
        dst_actions=["wrinkle", "pore"],
        created_at=NOW,
        updated_at=NOW,
        **attributes,
    )


def _validate(name: str, body: object) -> None:
    document = openapi_document(build_resolver())
    OAS31Validator({"$ref": f"#/components/schemas/{name}", "components": document["components"]}).validate(body)


def test_the_request_needs_quality_and_actions_and_nothing_else() -> None:
    request = CreateAnalysisRequest.model_validate({"quality": "hd", "dst_actions": ["hd_pore"]})
    assert (request.quality, request.content_type) == (Quality.HD, "image/jpeg")

    for body in (
        {"quality": "hd"},
        {"dst_actions": ["hd_pore"]},
        {"quality": "hd", "dst_actions": []},
        {"quality": "hd", "dst_actions": ["hd_pore"], "partner_id": "someone-else"},
    ):
        with pytest.raises(ValidationError):
            CreateAnalysisRequest.model_validate(body)


def test_options_are_checked_like_ingest_checks_them() -> None:
    assert checked_options(Quality.SD, ["pore", "acne", "pore"]) == AnalysisOptions(Quality.SD, ("pore", "acne"))

    with pytest.raises(InvalidAnalysisOptions) as mixed:
        checked_options(Quality.SD, ["pore", "hd_acne"])
    with pytest.raises(InvalidAnalysisOptions) as unknown:
        checked_options(Quality.SD, ["pores"])
    with pytest.raises(InvalidAnalysisOptions) as disagreeing:
        checked_options(Quality.HD, ["pore"])
    assert (mixed.value.field, unknown.value.field, disagreeing.value.field) == (
        "dst_actions",
        "dst_actions",
        "quality",
    )


def test_partner_keys_are_what_ingest_parses() -> None:
    from skin_analysis.ingest import parse_partner_key

    analysis_id = new_analysis_id()
    key = partner_upload_key("demo-partner-a", analysis_id, "image/heic")

    assert key == f"partners/demo-partner-a/{analysis_id}.heic"
    parsed = parse_partner_key(key)
    assert parsed is not None
    assert (parsed.partner_id, parsed.analysis_id) == ("demo-partner-a", analysis_id)


def test_the_upload_window_has_a_grace_after_the_form_expires() -> None:
    item = _item(AnalysisStatus.AWAITING_UPLOAD)
    expiry = NOW + timedelta(seconds=900)

    assert WINDOW.expires_at(NOW) == expiry
    assert not WINDOW.missed(item, expiry + timedelta(seconds=119))
    assert WINDOW.missed(item, expiry + timedelta(seconds=120))
    assert not WINDOW.missed(_item(AnalysisStatus.RECEIVED), expiry + timedelta(days=1))


def test_a_missed_upload_reads_as_failed_upload_missing() -> None:
    late = NOW + timedelta(hours=1)

    reading = status_reading(_item(AnalysisStatus.AWAITING_UPLOAD), WINDOW, late)

    assert reading.status is AnalysisStatus.FAILED
    assert reading.error is not None
    assert (reading.error.code, reading.error.fix) == (ErrorCode.UPLOAD_MISSING, ErrorCode.UPLOAD_MISSING.fix)
    assert "2026-11-23T09:15:00" in reading.error.message


def test_a_failure_reads_with_its_fix_even_for_unknown_engine_codes() -> None:
    known = status_reading(_item(AnalysisStatus.FAILED, error_code="corrupt_image"), WINDOW, NOW)
    engine = status_reading(_item(AnalysisStatus.FAILED, error_code="error_new_thing", error_message="m"), WINDOW, NOW)

    assert known.error is not None
    assert (known.error.code, known.error.fix) == ("corrupt_image", ErrorCode.CORRUPT_IMAGE.fix)
    assert known.error.message == ErrorCode.CORRUPT_IMAGE.meaning
    assert engine.error is not None
    assert (engine.error.code, engine.error.message) == ("error_new_thing", "m")
    assert engine.error.fix


def test_responses_match_the_documented_schemas() -> None:
    item = _item(
        AnalysisStatus.SUCCEEDED,
        scores={"wrinkle": {"whole": {"raw_score": 71.25, "ui_score": 80}}},
        skin_type={"whole": "Dry"},
        skin_age=33.0,
        overall_score=80,
        mask_keys={"wrinkle": "analyses/x/masks/wrinkle.png"},
    )
    reading = AnalysisReading(
        item=item,
        status=status_reading(item, WINDOW, NOW),
        normalized_photo_url="https://results.example/normalized.jpg",
        mask_urls={"wrinkle": "https://results.example/wrinkle.png"},
        urls_expire_at=NOW + timedelta(minutes=5),
    )

    body = AnalysisResponse.of_reading(reading).model_dump(mode="json")
    summary = AnalysisSummary.of(ListedAnalysis(item, reading.status)).model_dump(mode="json")

    _validate("AnalysisResponse", body)
    _validate("AnalysisSummary", summary)
    assert body["skin_age"] == 33
    assert body["overall_score"] == 80.0
    assert body["scores"] == {"wrinkle": {"whole": {"raw_score": 71.25, "ui_score": 80}}}


@given(
    created=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    analysis_id=st.from_regex(r"[0-9a-f]{32}", fullmatch=True),
)
def test_cursors_round_trip_into_the_callers_partition_only(created: datetime, analysis_id: str) -> None:
    item = Analysis(analysis_id, status=AnalysisStatus.QUEUED, quality="sd", dst_actions=["pore"], created_at=created)

    start = decode_cursor(encode_cursor(item), "partner-b")

    assert start["analysis_id"] == {"S": analysis_id}
    assert start["partner_id"] == {"S": "partner-b"}
    assert datetime.strptime(start["created_at"]["S"], DATETIME_FORMAT).replace(tzinfo=UTC) == created


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "%%%",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(json.dumps({"c": "yesterday", "a": "0" * 32}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"c": "2026-11-23T09:00:00.000000+0000", "a": "../x"}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["c", "a"]).encode()).decode(),
    ],
)
def test_anything_but_our_cursor_is_invalid_next(cursor: str) -> None:
    with pytest.raises(InvalidField) as refused:
        decode_cursor(cursor, "partner-b")
    assert refused.value.field == "next"


def test_upload_forms_pin_key_options_and_size() -> None:
    # Presigning is local computation: no network is needed (and none is allowed in this tier).
    s3 = boto3.client("s3", region_name="eu-west-1", config=Config(signature_version="s3v4"))
    forms = UploadForms(s3, "uploads-bucket", ttl_seconds=600, max_bytes=1000)

    form = forms.sign("partners/p/abc.jpg", "image/jpeg", AnalysisOptions(Quality.HD, ("hd_pore",)), now=NOW)

    assert form.expires_at == NOW + timedelta(seconds=600)
    assert form.fields["key"] == "partners/p/abc.jpg"
    assert form.fields["x-amz-meta-skin-quality"] == "hd"
    assert form.fields["x-amz-meta-skin-actions"] == "hd_pore"
    policy = json.loads(base64.b64decode(form.fields["policy"]))
    assert ["content-length-range", 1, 1000] in policy["conditions"]
    assert {"bucket": "uploads-bucket"} in policy["conditions"]
    assert form.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"


def test_partner_ids_are_safe_in_keys_and_tiers_come_from_the_outputs() -> None:
    assert check_partner_id("demo-partner-a") == "demo-partner-a"
    for bad in ("", "Upper", "a/b", "-leading", "a" * 64, "space d"):
        with pytest.raises(InvalidPartnerId):
            check_partner_id(bad)
    outputs = {"BasicUsagePlanId": "p1", "ProUsagePlanId": "p2", "ApiUrl": "https://x"}
    assert usage_plans_by_tier(outputs) == {"basic": "p1", "pro": "p2"}
