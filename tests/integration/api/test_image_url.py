"""POST /v1/analyses with image_url, and the fetch_image worker: the API refuses what it can at once and queues
the rest; the worker stores the fetched photo at the analysis's upload key for ingest, or fails the analysis
download_failed with a Skin Analysis Failed event. Nothing forbidden is ever fetched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from skin_analysis.ingest import parse_partner_key, resolve_options
from skin_analysis.models import AnalysisStatus
from tests.integration.provider.conftest import jpeg

if TYPE_CHECKING:
    from tests.integration.api.conftest import ApiStack


def test_an_image_url_creates_the_analysis_and_queues_its_fetch(api_stack: ApiStack) -> None:
    # Given a partner and a photo on the allow-listed fixture server
    partner = api_stack.partner()
    url = api_stack.images.url("selfie.jpg")

    # When it creates an analysis from the URL
    created = api_stack.create(partner, quality="sd", dst_actions=["acne", "pore"], image_url=url)

    # Then there is no upload form, the item awaits its photo, and one fetch request carries URL, key and options
    assert created["upload"] is None
    assert created["status"] == "AWAITING_UPLOAD"
    item = api_stack.item(created["analysis_id"])
    assert item is not None
    assert item.status is AnalysisStatus.AWAITING_UPLOAD
    assert api_stack.fetch_requests() == [
        {
            "analysis_id": created["analysis_id"],
            "partner_id": partner.partner_id,
            "image_url": url,
            "key": item.source_key,
            "quality": "sd",
            "dst_actions": ["acne", "pore"],
        }
    ]
    # And nothing was fetched yet: the API never connects to the URL itself
    assert api_stack.images.requests["/selfie.jpg"] == 0


@pytest.mark.parametrize(
    ("image_url", "why"),
    [
        ("http://photos.example.com/a.jpg", "only https"),
        ("file:///etc/passwd", "only https"),
        ("gopher://photos.example.com/_x", "only https"),
        ("https://127.0.0.1/a.jpg", "loopback"),
        ("https://[::1]/a.jpg", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://10.1.2.3/a.jpg", "private"),
        ("https://2130706433/a.jpg", "loopback"),
        ("https://0177.0.0.1/a.jpg", "loopback"),
        ("https://[::ffff:10.0.0.1]/a.jpg", "IPv4-mapped"),
    ],
)
def test_a_bad_scheme_or_literal_address_is_a_400_naming_image_url(
    api_stack: ApiStack, image_url: str, why: str
) -> None:
    # Given a partner
    partner = api_stack.partner()

    # When it asks for a photo from a URL that can never be fetched
    answer = api_stack.call(
        "POST", "/v1/analyses", partner, json_body={"quality": "sd", "dst_actions": ["acne"], "image_url": image_url}
    )

    # Then it is refused at once, naming image_url, and nothing was created or queued
    assert answer.status == 400
    problem = answer.problem
    assert (problem["code"], problem["field"]) == ("invalid_image_url", "image_url")
    assert why in problem["detail"]
    assert api_stack.listing(partner) == []
    assert api_stack.fetch_requests() == []


def test_the_fetcher_stores_the_photo_where_ingest_reads_it_with_the_options(api_stack: ApiStack) -> None:
    # Given an analysis created from a photo on the fixture server
    photo = jpeg(600, 800)
    (api_stack.images.root / "portrait.jpg").write_bytes(photo)
    partner = api_stack.partner()
    created = api_stack.create(
        partner, quality="hd", dst_actions=["hd_wrinkle"], image_url=api_stack.images.url("portrait.jpg")
    )
    (request,) = api_stack.fetch_requests()

    # When the fetch worker handles the request
    answer = api_stack.run_fetcher(request)

    # Then the photo is at the analysis's own upload key (the S3 trigger hands it to ingest), with its options
    assert answer == {"batchItemFailures": []}
    key = request["key"]
    upload = parse_partner_key(key)
    assert upload is not None
    assert (upload.partner_id, upload.analysis_id) == (partner.partner_id, created["analysis_id"])
    stored = api_stack.s3.get_object(Bucket=api_stack.uploads_bucket, Key=key)
    assert stored["Body"].read() == photo
    options = resolve_options(stored["Metadata"], default_quality="sd", default_actions=["acne"])
    assert (options.quality.value, options.dst_actions) == ("hd", ("hd_wrinkle",))

    # And a redelivered request fetches nothing again
    fetched = api_stack.images.requests["/portrait.jpg"]
    assert api_stack.run_fetcher(request) == {"batchItemFailures": []}
    assert api_stack.images.requests["/portrait.jpg"] == fetched == 1


def test_a_fetch_that_fails_ends_the_analysis_download_failed_with_the_failed_event(api_stack: ApiStack) -> None:
    # Given an analysis whose URL passes the API's check but answers 404 when fetched
    partner = api_stack.partner()
    created = api_stack.create(partner, image_url=api_stack.images.url("gone.jpg"))
    (request,) = api_stack.fetch_requests()
    api_stack.events()

    # When the fetch worker handles it
    answer = api_stack.run_fetcher(request)

    # Then the message is done with (no retry), the analysis is FAILED download_failed, and the event says why
    assert answer == {"batchItemFailures": []}
    item = api_stack.item(created["analysis_id"])
    assert item is not None
    assert (item.status, item.error_code) == (AnalysisStatus.FAILED, "download_failed")
    assert "HTTP 404" in (item.error_message or "")
    (event,) = api_stack.events()
    assert event["detail-type"] == "Skin Analysis Failed"
    assert event["detail"]["analysis_id"] == created["analysis_id"]
    assert event["detail"]["error"]["code"] == "download_failed"
    # And nothing was stored for ingest
    assert api_stack.objects(api_stack.uploads_bucket, request["key"]) == []


def test_a_name_resolving_to_loopback_is_refused_by_the_fetcher_and_nothing_is_fetched(api_stack: ApiStack) -> None:
    # Given an analysis from a URL whose name resolves to loopback, on the fixture server's own port (only the
    # exact host:port "127.0.0.1:<port>" is allow-listed, not the name)
    port = api_stack.images.authority.rsplit(":", 1)[1]
    partner = api_stack.partner()
    created = api_stack.create(partner, image_url=f"https://localhost:{port}/selfie.jpg")
    (request,) = api_stack.fetch_requests()
    before = api_stack.images.total_requests

    # When the fetch worker handles it
    api_stack.run_fetcher(request)

    # Then it fails download_failed without a single request reaching the server
    item = api_stack.item(created["analysis_id"])
    assert item is not None
    assert (item.status, item.error_code) == (AnalysisStatus.FAILED, "download_failed")
    assert "loopback" in (item.error_message or "")
    assert api_stack.images.total_requests == before


def test_an_erased_analysis_is_not_fetched(api_stack: ApiStack) -> None:
    # Given an analysis from a URL, erased before its fetch ran
    partner = api_stack.partner()
    created = api_stack.create(partner, image_url=api_stack.images.url("erased.jpg"))
    (request,) = api_stack.fetch_requests()
    assert api_stack.call("DELETE", f"/v1/analyses/{created['analysis_id']}", partner).status == 204

    # When the fetch worker handles the request
    api_stack.run_fetcher(request)

    # Then nothing was fetched and nothing was stored
    assert api_stack.images.requests["/erased.jpg"] == 0
    assert api_stack.objects(api_stack.uploads_bucket, request["key"]) == []
