"""image_url on the local stack: the photo is fetched from the allow-listed HTTPS fixture server (`local up`'s own,
certificate from its own CA) and analysed like an upload until SUCCEEDED; an Idempotency-Key retry returns the first
answer; a loopback address that is not the fixture server is refused at once.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tests.e2e.test_partner_api import PARTNER_A, PARTNER_B, PIPELINE_SLA_SECONDS, PartnerClient, a_photo
from tests.helpers import wait_until

if TYPE_CHECKING:
    import requests


def _partner(local_stack: dict[str, Any], partner_id: str = PARTNER_A) -> PartnerClient:
    return PartnerClient(local_stack["api_url"], local_stack["api_keys"][partner_id])


def _post(client: PartnerClient, body: dict[str, Any], key: str) -> requests.Response:
    return client.request("POST", "/v1/analyses", json=body, headers={"Idempotency-Key": key})


def test_an_image_url_on_the_fixture_server_is_fetched_and_succeeds_once_per_key(local_stack: dict[str, Any]) -> None:
    partner_a = _partner(local_stack)
    # Given a photo on the stack's fixture server
    name = f"{uuid.uuid4().hex}.jpg"
    (Path(local_stack["image_fixtures_dir"]) / name).write_bytes(a_photo())
    url = f"{local_stack['image_fixtures_url'].rstrip('/')}/{name}"
    assert url.startswith("https://")
    body = {"quality": "sd", "dst_actions": ["wrinkle", "pore"], "image_url": url}
    key = str(uuid.uuid4())

    # When a partner creates an analysis from its URL, and retries the request with the same Idempotency-Key
    first, retry = _post(partner_a, body, key), _post(partner_a, body, key)

    # Then both answers are the same analysis, with no upload form
    assert first.status_code == retry.status_code == 201, first.text
    assert first.json() == retry.json()
    assert first.json()["upload"] is None
    analysis_id = first.json()["analysis_id"]

    # And the analysis goes through ingest and the pipeline to SUCCEEDED with scores and masks
    def finished() -> dict[str, Any] | None:
        answer: dict[str, Any] = partner_a.get(analysis_id).json()
        return answer if answer["status"] in {"SUCCEEDED", "FAILED"} else None

    done = wait_until(finished, PIPELINE_SLA_SECONDS, interval=0.5, what="the image_url analysis to finish")
    assert done["status"] == "SUCCEEDED", done["error"]
    assert done["scores"]
    assert set(done["masks"]) >= {"wrinkle", "pore"}
    # And the retry created nothing: one analysis for the key
    assert partner_a.listing().count(analysis_id) == 1


def test_two_partners_using_one_key_get_two_analyses(local_stack: dict[str, Any]) -> None:
    partner_a, partner_b = _partner(local_stack), _partner(local_stack, PARTNER_B)
    # Given two partners sending the same Idempotency-Key value
    key = str(uuid.uuid4())
    body = {"quality": "sd", "dst_actions": ["acne"]}

    # When both create an analysis
    first, second = _post(partner_a, body, key), _post(partner_b, body, key)

    # Then each has its own
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert first.json()["analysis_id"] != second.json()["analysis_id"]


def test_a_loopback_url_other_than_the_fixture_server_is_refused_at_once(local_stack: dict[str, Any]) -> None:
    partner_a = _partner(local_stack)
    # Given the fixture server's own address on another port, and an octal spelling of loopback
    host, port = local_stack["image_fixtures_url"].removeprefix("https://").rstrip("/").rsplit(":", 1)
    for url in (f"https://{host}:{int(port) + 1}/a.jpg", f"https://0177.0.0.1:{port}/a.jpg"):
        # When a partner asks for it
        answer = partner_a.request(
            "POST", "/v1/analyses", json={"quality": "sd", "dst_actions": ["acne"], "image_url": url}
        )

        # Then it is a 400 naming image_url (only the exact allow-listed host:port gets past the guard)
        assert answer.status_code == 400, answer.text
        assert (answer.json()["code"], answer.json()["field"]) == ("invalid_image_url", "image_url")


def test_a_redirect_to_the_metadata_address_ends_the_analysis_download_failed(local_stack: dict[str, Any]) -> None:
    # Given a URL on the allow-listed fixture server that redirects to the instance metadata address
    partner_a = _partner(local_stack)
    target = quote("https://169.254.169.254/latest/meta-data/", safe="")
    url = f"{local_stack['image_fixtures_url'].rstrip('/')}/redirect?to={target}"

    # When a partner creates an analysis from it
    created = partner_a.create(image_url=url)

    # Then the fetch worker refuses the hop and the analysis ends FAILED download_failed, saying why
    def finished() -> dict[str, Any] | None:
        answer: dict[str, Any] = partner_a.get(created["analysis_id"]).json()
        return answer if answer["status"] in {"SUCCEEDED", "FAILED"} else None

    done = wait_until(finished, 30, interval=0.25, what="the redirected image_url analysis to fail")
    assert done["status"] == "FAILED"
    assert done["error"]["code"] == "download_failed"
    assert "link-local" in done["error"]["message"]
