"""The client's request shapes and its rate-limit budget hook, over a canned transport (no network)."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
import requests
from requests.adapters import BaseAdapter

from skin_analysis.provider import ApiVersion, PerfectCorpClient, ProviderRateLimited, ResultFormat


class CannedAdapter(BaseAdapter):
    """Answers every request from a list of (status, body) and records what was sent."""

    def __init__(self, answers: list[tuple[int, Any]]) -> None:
        super().__init__()
        self.answers = answers
        self.sent: list[requests.PreparedRequest] = []
        self.timeouts: list[object] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(request)
        self.timeouts.append(kwargs.get("timeout"))
        status, body = self.answers.pop(0)
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode() if body is not None else b""
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release."""


class Budget:
    def __init__(self) -> None:
        self.taken: list[str] = []

    def acquire(self, kind: Literal["read", "create"]) -> None:
        self.taken.append(kind)


FILE_ANSWER = {
    "status": 200,
    "data": {
        "files": [
            {
                "file_id": "a/b+c",
                "requests": [
                    {
                        "method": "PUT",
                        "url": "https://s3/up",
                        "headers": {"Content-Length": 3, "Content-Type": "image/jpg"},
                    }
                ],
            }
        ]
    },
}


def client_with(answers: list[tuple[int, Any]], **kwargs: Any) -> tuple[PerfectCorpClient, CannedAdapter, Budget]:
    adapter, budget = CannedAdapter(answers), Budget()
    session = requests.Session()
    session.mount("https://", adapter)
    client = PerfectCorpClient(base_url="https://api", api_key="sk-1", session=session, budget=budget, **kwargs)
    return client, adapter, budget


def test_budget_is_taken_for_counted_calls_only() -> None:
    client, adapter, budget = client_with(
        [
            (200, FILE_ANSWER),
            (200, None),
            (200, {"status": 200, "data": {"task_id": "t"}}),
            (200, {"status": 200, "data": {"task_status": "running", "results": None}}),
            (200, {"status": 200}),
            (200, {"status": 200, "results": []}),
            (200, {"status": 200, "result": {"next_token": None, "skus": []}}),
            (200, None),
        ]
    )
    file_id = client.upload_file(b"abc", content_type="image/jpg", file_name="a.jpg")
    client.create_task(dst_actions=["wrinkle"], src_file_id=file_id, result_format=ResultFormat.ZIP)
    client.get_task("t")
    client.delete_task("t")
    client.credit_balance()
    client.feature_costs()
    client.download("https://s3/mask.png")
    assert budget.taken == ["create", "create", "read", "read", "read", "read"]
    assert all(timeout is not None for timeout in adapter.timeouts)


def test_put_sends_exactly_the_slot_headers_and_no_key() -> None:
    client, adapter, _ = client_with([(200, FILE_ANSWER), (200, None)])
    client.upload_file(b"abc", content_type="image/jpg", file_name="a.jpg")
    put = adapter.sent[1]
    assert put.method == "PUT"
    assert dict(put.headers) == {"Content-Length": "3", "Content-Type": "image/jpg"}
    assert adapter.sent[0].headers["Authorization"] == "Bearer sk-1"


def test_create_body_and_paths_per_version() -> None:
    client, adapter, _ = client_with([(200, {"status": 200, "data": {"task_id": "t"}})])
    created = client.create_task(dst_actions=["hd_pore", "hd_pore"], src_file_url="https://img", pf_camera_kit=True)
    assert adapter.sent[0].url == "https://api/s2s/v2.1/task/skin-analysis"
    assert json.loads(adapter.sent[0].body or b"") == {
        "dst_actions": ["hd_pore"],
        "format": "json",
        "src_file_url": "https://img",
        "pf_camera_kit": True,
    }
    assert created.quality == "hd"
    v20, _, _ = client_with([], version=ApiVersion.V2_0)
    with pytest.raises(ValueError, match=r"v2\.1 only"):
        v20.create_task(dst_actions=["wrinkle"], src_file_url="u", pf_camera_kit=False)
    with pytest.raises(ValueError, match="exactly one"):
        v20.create_task(dst_actions=["wrinkle"])


def test_rate_limited_create_is_mapped() -> None:
    client, _, _ = client_with([(429, {"status": 429, "error": "Too many requests"})])
    with pytest.raises(ProviderRateLimited):
        client.create_task(dst_actions=["wrinkle"], src_file_id="f")
