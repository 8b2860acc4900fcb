"""The partner REST API on the local stack, over HTTP with real API keys, through the whole pipeline.

A partner creates an analysis, uploads its photo with the returned form, reads it until SUCCEEDED and
downloads its masks; lists and filters its analyses; erases one and nothing of it is left in S3 or DynamoDB.
Another partner sees none of it; a request without a key never reaches the function.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from boto3.dynamodb.types import TypeDeserializer

from skin_analysis_local.stack.statedir import read_local_json
from tests.helpers import wait_until
from tests.unit.imaging.corpus import encode, photo

if TYPE_CHECKING:
    import boto3

PARTNER_A, PARTNER_B = "demo-partner-a", "demo-partner-b"
# Webhook grace 2 s and a 1 s simulator task on the e2e stack: SUCCEEDED comes within seconds.
PIPELINE_SLA_SECONDS = 60


class PartnerClient:
    """One partner's view of the API: its key on every request."""

    def __init__(self, api_url: str, key: str | None) -> None:
        self._api_url = api_url
        self._session = requests.Session()
        if key is not None:
            self._session.headers["x-api-key"] = key

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self._session.request(method, f"{self._api_url}{path}", timeout=35, **kwargs)

    def create(self, **body: Any) -> dict[str, Any]:
        response = self.request(
            "POST", "/v1/analyses", json={"quality": "sd", "dst_actions": ["wrinkle", "pore"], **body}
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def get(self, analysis_id: str) -> requests.Response:
        return self.request("GET", f"/v1/analyses/{analysis_id}")

    def listing(self, **query: str) -> list[str]:
        """Every id the listing returns, following `next`."""
        ids: list[str] = []
        params = dict(query)
        while True:
            response = self.request("GET", "/v1/analyses", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            ids.extend(entry["analysis_id"] for entry in page["items"])
            if not page.get("next"):
                return ids
            params = {**query, "next": page["next"]}


def a_photo() -> bytes:
    """A compliant JPEG, unique per call (the simulator counts tasks per image)."""
    image = photo((960, 1280))
    marker = hashlib.sha256(uuid.uuid4().bytes).digest()
    image.putpixel((0, 0), (marker[0], marker[1], marker[2]))
    return encode(image, "JPEG", quality=90)


def upload(created: dict[str, Any], data: bytes) -> requests.Response:
    """POST the photo with the form, as a partner's app would."""
    form = created["upload"]
    return requests.post(
        form["url"], data=form["fields"], files={"file": ("selfie.jpg", data, "image/jpeg")}, timeout=30
    )


@pytest.fixture(scope="module")
def partner_a(local_stack: dict[str, Any]) -> PartnerClient:
    return PartnerClient(local_stack["api_url"], local_stack["api_keys"][PARTNER_A])


@pytest.fixture(scope="module")
def partner_b(local_stack: dict[str, Any]) -> PartnerClient:
    return PartnerClient(local_stack["api_url"], local_stack["api_keys"][PARTNER_B])


@pytest.fixture(scope="module")
def succeeded(partner_a: PartnerClient) -> dict[str, Any]:
    """An analysis of partner A taken from create through upload to SUCCEEDED; its last GET body."""
    created = partner_a.create(quality="sd", dst_actions=["wrinkle", "pore", "skin_type"])
    assert upload(created, a_photo()).status_code == 204

    def finished() -> dict[str, Any] | None:
        body: dict[str, Any] = partner_a.get(created["analysis_id"]).json()
        return body if body["status"] in {"SUCCEEDED", "FAILED"} else None

    body = wait_until(finished, PIPELINE_SLA_SECONDS, interval=0.5, what="the partner analysis to finish")
    body["upload_key"] = created["upload"]["fields"]["key"]
    return body


def test_create_upload_read_until_succeeded_and_download_the_masks(succeeded: dict[str, Any]) -> None:
    assert succeeded["status"] == "SUCCEEDED", succeeded.get("error")
    assert set(succeeded["scores"]) == {"wrinkle", "pore"}
    assert set(succeeded["skin_type"]) == {"whole", "t_zone", "u_zone"}
    assert succeeded["masks"]
    for name, url in succeeded["masks"].items():
        mask = requests.get(url, timeout=10)
        assert mask.status_code == 200, name
        assert mask.content.startswith((b"\x89PNG", b"\xff\xd8\xff")), name
    photo_answer = requests.get(succeeded["normalized_photo_url"], timeout=10)
    assert photo_answer.content.startswith(b"\xff\xd8\xff")


def test_listing_paginates_newest_first_and_filters_by_status(
    partner_a: PartnerClient, succeeded: dict[str, Any]
) -> None:
    # Given three more analyses of A awaiting their photos
    waiting = [partner_a.create()["analysis_id"] for _ in range(3)]

    # When A lists two at a time
    first = partner_a.request("GET", "/v1/analyses", params={"limit": "2"}).json()
    everything = partner_a.listing(limit="2")

    # Then the newest come first, pages hold at most two, and nothing repeats
    assert [entry["analysis_id"] for entry in first["items"]] == waiting[:0:-1]
    assert first["next"]
    assert everything[:3] == waiting[::-1]
    assert len(everything) == len(set(everything))
    assert succeeded["analysis_id"] in everything
    # And filters pick by status
    assert set(waiting) <= set(partner_a.listing(status="AWAITING_UPLOAD"))
    succeeded_ids = partner_a.listing(status="SUCCEEDED")
    assert succeeded["analysis_id"] in succeeded_ids
    assert not set(waiting) & set(succeeded_ids)


def test_partner_b_sees_nothing_of_partner_a(
    partner_a: PartnerClient, partner_b: PartnerClient, succeeded: dict[str, Any]
) -> None:
    analysis_id = succeeded["analysis_id"]
    waiting = partner_a.create()["analysis_id"]

    for target in (analysis_id, waiting):
        assert partner_b.get(target).status_code == 404
        assert partner_b.request("DELETE", f"/v1/analyses/{target}").status_code == 404
        assert partner_a.get(target).status_code == 200
    seen_by_b = set(partner_b.listing())
    assert analysis_id not in seen_by_b
    assert waiting not in seen_by_b
    for status in ("SUCCEEDED", "AWAITING_UPLOAD"):
        assert not {analysis_id, waiting} & set(partner_b.listing(status=status))


def test_without_a_key_or_with_a_wrong_one_every_route_is_403(
    local_stack: dict[str, Any], succeeded: dict[str, Any]
) -> None:
    path = f"/v1/analyses/{succeeded['analysis_id']}"
    for client in (PartnerClient(local_stack["api_url"], None), PartnerClient(local_stack["api_url"], "not-a-key")):
        answers = [
            client.request("POST", "/v1/analyses", json={"quality": "sd", "dst_actions": ["wrinkle"]}),
            client.request("GET", "/v1/analyses"),
            client.request("GET", path),
            client.request("DELETE", path),
            client.request("GET", "/v1/openapi.json"),
        ]
        assert [answer.status_code for answer in answers] == [403] * 5


def test_the_openapi_document_is_served(partner_a: PartnerClient) -> None:
    document = partner_a.request("GET", "/v1/openapi.json").json()

    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/v1/analyses", "/v1/analyses/{analysis_id}", "/v1/openapi.json"}


def test_a_bad_body_is_a_400_naming_the_field(partner_a: PartnerClient) -> None:
    answer = partner_a.request("POST", "/v1/analyses", json={"quality": "sd", "dst_actions": ["wrinkle", "hd_pore"]})

    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["field"] == "dst_actions"


def _everything_about(aws: boto3.Session, info: dict[str, Any], needles: set[str]) -> list[str]:
    """Every S3 key and DynamoDB item on the stack that mentions one of `needles`."""
    endpoint = info["aws_endpoint"]
    s3, dynamodb = aws.client("s3", endpoint_url=endpoint), aws.client("dynamodb", endpoint_url=endpoint)
    found: list[str] = []
    for bucket in (info["uploads_bucket"], info["results_bucket"]):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            found.extend(
                f"s3://{bucket}/{entry['Key']}"
                for entry in page.get("Contents", [])
                if any(n in entry["Key"] for n in needles)
            )
    deserialize = TypeDeserializer().deserialize
    for table in dynamodb.list_tables()["TableNames"]:
        for scanned in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in scanned.get("Items", []):
                text = repr({name: deserialize(value) for name, value in item.items()})
                if any(n in text for n in needles):
                    found.append(f"dynamodb:{table}:{text[:120]}")
    return found


@pytest.fixture
def erasable(partner_a: PartnerClient, local_stack: dict[str, Any], aws: boto3.Session) -> dict[str, Any]:
    """A fresh SUCCEEDED analysis of A, with its provider task id (read from the table before erasure)."""
    created = partner_a.create(quality="sd", dst_actions=["acne"])
    assert upload(created, a_photo()).status_code == 204
    wait_until(
        lambda: partner_a.get(created["analysis_id"]).json()["status"] == "SUCCEEDED",
        PIPELINE_SLA_SECONDS,
        interval=0.5,
        what="the analysis to succeed",
    )
    dynamodb = aws.client("dynamodb", endpoint_url=local_stack["aws_endpoint"])
    item = dynamodb.get_item(TableName=local_stack["table"], Key={"analysis_id": {"S": created["analysis_id"]}})
    return {"analysis_id": created["analysis_id"], "task_id": item["Item"]["task_id"]["S"]}


def _webhook_dedupe_record(found: str) -> bool:
    return "IdempotencyTable" in found and "'id': 'webhook-id#" in found


def test_delete_leaves_nothing_in_s3_or_dynamodb(
    partner_a: PartnerClient, erasable: dict[str, Any], local_stack: dict[str, Any], aws: boto3.Session
) -> None:
    analysis_id, task_id = erasable["analysis_id"], erasable["task_id"]
    assert _everything_about(aws, local_stack, {analysis_id})

    answer = partner_a.request("DELETE", f"/v1/analyses/{analysis_id}")

    assert answer.status_code == 204
    leftovers = _everything_about(aws, local_stack, {analysis_id, task_id})
    assert [found for found in leftovers if not _webhook_dedupe_record(found)] == []
    assert partner_a.get(analysis_id).status_code == 404
    assert partner_a.request("DELETE", f"/v1/analyses/{analysis_id}").status_code == 204
    assert analysis_id not in partner_a.listing()


def test_no_webhook_dedupe_record_names_an_erased_analysis(
    partner_a: PartnerClient, erasable: dict[str, Any], local_stack: dict[str, Any], aws: boto3.Session
) -> None:
    analysis_id = erasable["analysis_id"]

    assert partner_a.request("DELETE", f"/v1/analyses/{analysis_id}").status_code == 204

    assert _everything_about(aws, local_stack, {analysis_id}) == []


def test_the_partner_cli_issues_keys_the_gateway_accepts_and_revokes_them(local_stack: dict[str, Any]) -> None:
    cli = Path(sys.executable).with_name("skin-analysis")
    state_dir = str(local_stack["state_dir"])
    assert read_local_json(local_stack["state_dir"]) is not None
    partner_id = f"e2e-{uuid.uuid4().hex[:8]}"

    added = subprocess.run(
        [cli, "partner", "add", partner_id, "--tier", "pro", "--state-dir", state_dir, "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    key = json.loads(added.stdout)["api_key"]
    client = PartnerClient(local_stack["api_url"], key)
    created = wait_until(
        lambda: client.request("POST", "/v1/analyses", json={"quality": "sd", "dst_actions": ["pore"]}),
        10,
        what="the new key to be accepted",
    )
    assert created.status_code == 201
    assert client.listing() == [created.json()["analysis_id"]]

    subprocess.run([cli, "partner", "remove", partner_id, "--state-dir", state_dir], check=True, capture_output=True)
    wait_until(
        lambda: client.request("GET", "/v1/analyses").status_code == 403, 15, what="the removed key to be refused"
    )
