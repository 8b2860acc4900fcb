"""Partner isolation: another partner's analysis is a 404 on every route, exactly like one that does not exist."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from skin_analysis.models import AnalysisStatus

if TYPE_CHECKING:
    from tests.integration.api.conftest import Answer, ApiStack


def _shape(answer: Answer) -> tuple[int, str, str]:
    """What a caller can tell apart: status, code and the detail with the id blanked out."""
    problem = answer.problem
    return answer.status, problem["code"], problem["detail"].replace(answer.body["detail"].split("'")[1], "<id>")


def test_another_partners_analysis_is_a_404_like_a_missing_one(api_stack: ApiStack) -> None:
    # Given partner A's finished analysis and a created one, and partner B
    a, b = api_stack.partner("a"), api_stack.partner("b")
    finished = api_stack.succeeded(a).analysis_id
    waiting = api_stack.create(a)["analysis_id"]
    missing = uuid.uuid4().hex

    for analysis_id in (finished, waiting):
        # When B reads or deletes A's analysis
        read = api_stack.call("GET", f"/v1/analyses/{analysis_id}", b)
        delete = api_stack.call("DELETE", f"/v1/analyses/{analysis_id}", b)

        # Then both are 404s indistinguishable from reading an id that does not exist
        assert _shape(read) == _shape(api_stack.call("GET", f"/v1/analyses/{missing}", b))
        assert read.status == delete.status == 404
        assert delete.problem["code"] == "not_found"
        # And A's analysis is untouched
        assert api_stack.call("GET", f"/v1/analyses/{analysis_id}", a).status == 200


def test_listings_never_show_another_partners_analyses(api_stack: ApiStack) -> None:
    # Given analyses of A in several statuses, and partner B with one of its own
    a, b = api_stack.partner("a"), api_stack.partner("b")
    of_a = [
        api_stack.succeeded(a).analysis_id,
        api_stack.stored(a, AnalysisStatus.FAILED, error_code="corrupt_image").analysis_id,
        api_stack.create(a)["analysis_id"],
    ]
    of_b = api_stack.create(b)["analysis_id"]

    # Then B's listing, filtered or not, holds only B's analysis
    assert api_stack.listing(b) == [of_b]
    for status in ("SUCCEEDED", "FAILED", "AWAITING_UPLOAD"):
        assert set(api_stack.listing(b, status=status)) <= {of_b}
    # And a cursor A was given opens only B's own partition when B replays it
    cursor = api_stack.call("GET", "/v1/analyses", a, query={"limit": "1"}).body["next"]
    replayed = api_stack.call("GET", "/v1/analyses", b, query={"next": cursor})
    assert replayed.status == 200
    assert not set(of_a) & {entry["analysis_id"] for entry in replayed.body["items"]}


def test_malformed_ids_are_404s(api_stack: ApiStack) -> None:
    partner = api_stack.partner()
    for analysis_id in ("x", "../partners", "A" * 64, "0" * 65, "%00"):
        assert api_stack.call("GET", f"/v1/analyses/{analysis_id}", partner).status == 404
        assert api_stack.call("DELETE", f"/v1/analyses/{analysis_id}", partner).status == 404
