"""GET /v1/analyses/{id} and GET /v1/analyses: what a partner sees, newest first, in pages, filtered by status."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import requests

from skin_analysis.errors import ErrorCode
from skin_analysis.models import AnalysisStatus
from tests.integration.api.conftest import UPLOAD_GRACE_SECONDS, UPLOAD_URL_TTL_SECONDS

if TYPE_CHECKING:
    from tests.integration.api.conftest import ApiStack

_PAST_THE_WINDOW = timedelta(seconds=UPLOAD_URL_TTL_SECONDS + UPLOAD_GRACE_SECONDS + 1)


def test_a_new_analysis_reads_as_awaiting_its_upload(api_stack: ApiStack) -> None:
    partner = api_stack.partner()
    created = api_stack.create(partner)

    answer = api_stack.call("GET", f"/v1/analyses/{created['analysis_id']}", partner)

    assert answer.status == 200
    body = answer.body
    assert body["status"] == "AWAITING_UPLOAD"
    assert body["upload_expires_at"] == created["upload"]["expires_at"]
    assert body["masks"] == {}
    assert body["normalized_photo_url"] is None
    assert body["error"] is None


def test_a_succeeded_analysis_has_scores_and_downloadable_urls(api_stack: ApiStack) -> None:
    # Given a finished analysis with two masks
    partner = api_stack.partner()
    item = api_stack.succeeded(partner)

    # When its partner reads it
    answer = api_stack.call("GET", f"/v1/analyses/{item.analysis_id}", partner)

    # Then it has the scores, skin type and age, and URLs that download the stored objects
    body = answer.body
    assert (answer.status, body["status"]) == (200, "SUCCEEDED")
    assert body["scores"]["wrinkle"]["whole"] == {"raw_score": 72.5, "ui_score": 81}
    assert (body["skin_type"], body["skin_age"], body["overall_score"]) == ({"whole": "Oily"}, 31, 78.5)
    assert sorted(body["masks"]) == ["pore", "wrinkle"]
    assert requests.get(body["masks"]["wrinkle"], timeout=10).content == b"\x89PNG\r\n\x1a\nwrinkle"
    assert requests.get(body["normalized_photo_url"], timeout=10).content == b"normalized"
    assert datetime.fromisoformat(body["urls_expire_at"]) > datetime.fromisoformat(body["updated_at"])
    assert "X-Amz-Signature" in body["masks"]["pore"]


def test_a_failed_analysis_explains_its_error(api_stack: ApiStack) -> None:
    partner = api_stack.partner()
    item = api_stack.stored(
        partner, AnalysisStatus.FAILED, error_code="error_src_face_too_small", error_message="face is 40% wide"
    )

    body = api_stack.call("GET", f"/v1/analyses/{item.analysis_id}", partner).body

    assert body["status"] == "FAILED"
    assert body["error"]["code"] == "error_src_face_too_small"
    assert body["error"]["message"] == "face is 40% wide"
    assert "60" in body["error"]["fix"]


def test_a_photo_never_uploaded_reads_as_failed_upload_missing_after_the_window(api_stack: ApiStack) -> None:
    # Given two analyses awaiting their photo: one inside its upload window, one past it
    partner = api_stack.partner()
    fresh = api_stack.stored(partner, AnalysisStatus.AWAITING_UPLOAD, age=timedelta(seconds=UPLOAD_URL_TTL_SECONDS))
    missed = api_stack.stored(partner, AnalysisStatus.AWAITING_UPLOAD, age=_PAST_THE_WINDOW)

    # Then the fresh one still awaits it (grace for an upload already on its way) and the old one failed
    assert api_stack.call("GET", f"/v1/analyses/{fresh.analysis_id}", partner).body["status"] == "AWAITING_UPLOAD"
    body = api_stack.call("GET", f"/v1/analyses/{missed.analysis_id}", partner).body
    assert body["status"] == "FAILED"
    assert body["error"]["code"] == ErrorCode.UPLOAD_MISSING
    assert body["error"]["fix"] == ErrorCode.UPLOAD_MISSING.fix
    # And listings filter on the status the partner sees
    assert api_stack.listing(partner, status="FAILED") == [missed.analysis_id]
    assert api_stack.listing(partner, status="AWAITING_UPLOAD") == [fresh.analysis_id]


def test_listing_pages_newest_first_without_gaps_or_repeats(api_stack: ApiStack) -> None:
    # Given five analyses of one partner created a minute apart, and one of another partner
    partner, other = api_stack.partner(), api_stack.partner()
    ids = [api_stack.stored(partner, AnalysisStatus.QUEUED, age=timedelta(minutes=5 - n)).analysis_id for n in range(5)]
    api_stack.stored(other, AnalysisStatus.QUEUED)

    # When it lists them two at a time
    pages = []
    params = {"limit": "2"}
    while True:
        answer = api_stack.call("GET", "/v1/analyses", partner, query=params)
        assert answer.status == 200
        pages.append([entry["analysis_id"] for entry in answer.body["items"]])
        if answer.body.get("next") is None:
            break
        params = {"limit": "2", "next": answer.body["next"]}

    # Then it got its own five, newest first, in pages of 2, 2 and 1, the last without a cursor
    assert pages == [ids[4:2:-1], ids[2:0:-1], ids[:1]]


def test_an_exact_last_page_has_no_cursor(api_stack: ApiStack) -> None:
    partner = api_stack.partner()
    for _ in range(2):
        api_stack.create(partner)

    answer = api_stack.call("GET", "/v1/analyses", partner, query={"limit": "2"})

    assert len(answer.body["items"]) == 2
    assert answer.body.get("next") is None


def test_listing_filters_by_status(api_stack: ApiStack) -> None:
    partner = api_stack.partner()
    done = api_stack.succeeded(partner)
    failed = api_stack.stored(partner, AnalysisStatus.FAILED, error_code="corrupt_image")
    waiting = api_stack.create(partner)["analysis_id"]

    assert api_stack.listing(partner, status="SUCCEEDED") == [done.analysis_id]
    assert api_stack.listing(partner, status="FAILED") == [failed.analysis_id]
    assert api_stack.listing(partner, status="AWAITING_UPLOAD") == [waiting]
    assert api_stack.listing(partner, status="RUNNING") == []
    assert sorted(api_stack.listing(partner)) == sorted([done.analysis_id, failed.analysis_id, waiting])
    entry = next(
        item
        for item in api_stack.call("GET", "/v1/analyses", partner).body["items"]
        if item["analysis_id"] == failed.analysis_id
    )
    assert entry["error"]["code"] == "corrupt_image"


def test_bad_query_parameters_are_400s_naming_them(api_stack: ApiStack) -> None:
    partner = api_stack.partner()
    for params, field in (
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"status": "DONE"}, "status"),
        ({"next": "not-a-cursor"}, "next"),
        ({"next": "eyJjIjogMX0"}, "next"),
    ):
        answer = api_stack.call("GET", "/v1/analyses", partner, query=params)
        assert answer.status == 400, (params, answer)
        assert answer.problem["field"] == field
        assert answer.problem["errors"][0]["location"] == "query"
