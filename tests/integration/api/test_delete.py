"""DELETE /v1/analyses/{id}: nothing of the analysis is left anywhere, repeats answer the same, others get 404."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import requests

from skin_analysis.models import AnalysisStatus
from skin_analysis.models.task_index import TaskIndexEntry

if TYPE_CHECKING:
    from skin_analysis.models import Analysis
    from tests.integration.api.conftest import ApiStack


def _leftovers(api_stack: ApiStack, item: Analysis) -> list[str]:
    """Everything still stored for the analysis: its item, index entry and objects in either bucket."""
    found = [
        *api_stack.objects(api_stack.results_bucket, f"analyses/{item.analysis_id}/"),
        *api_stack.objects(api_stack.uploads_bucket, item.source_key or "-"),
    ]
    if api_stack.item(item.analysis_id) is not None:
        found.append("item")
    if item.task_id and TaskIndexEntry.count(item.task_id, consistent_read=True):
        found.append("task index entry")
    return found


def test_delete_erases_a_finished_analysis_everywhere(api_stack: ApiStack) -> None:
    # Given a SUCCEEDED analysis whose task the provider still holds
    partner = api_stack.partner()
    task_id = api_stack.finished_task()
    item = api_stack.succeeded(partner, task_id=task_id)
    mask_url = api_stack.call("GET", f"/v1/analyses/{item.analysis_id}", partner).body["masks"]["wrinkle"]
    assert len(_leftovers(api_stack, item)) == 6

    # When its partner deletes it
    answer = api_stack.call("DELETE", f"/v1/analyses/{item.analysis_id}", partner)

    # Then the answer is an empty 204 and nothing is left: objects, item, index entry, provider task
    assert (answer.status, answer.body) == (204, None)
    assert _leftovers(api_stack, item) == []
    assert requests.get(mask_url, timeout=10).status_code == 404
    assert api_stack.sim.state.tasks[task_id].deleted
    assert api_stack.call("GET", f"/v1/analyses/{item.analysis_id}", partner).status == 404
    assert item.analysis_id not in api_stack.listing(partner)


def test_delete_is_idempotent(api_stack: ApiStack) -> None:
    partner = api_stack.partner()
    item = api_stack.stored(partner, AnalysisStatus.FAILED, error_code="corrupt_image")

    answers = [api_stack.call("DELETE", f"/v1/analyses/{item.analysis_id}", partner) for _ in range(3)]

    assert [answer.status for answer in answers] == [204, 204, 204]
    assert _leftovers(api_stack, item) == []


def test_delete_of_an_analysis_awaiting_its_photo_removes_the_item_and_any_upload(api_stack: ApiStack) -> None:
    # Given an analysis whose photo landed but was not ingested yet
    partner = api_stack.partner()
    created = api_stack.create(partner)
    key = created["upload"]["fields"]["key"]
    api_stack.s3.put_object(Bucket=api_stack.uploads_bucket, Key=key, Body=b"photo")
    item = api_stack.item(created["analysis_id"])
    assert item is not None

    answer = api_stack.call("DELETE", f"/v1/analyses/{created['analysis_id']}", partner)

    assert answer.status == 204
    assert _leftovers(api_stack, item) == []


@pytest.mark.parametrize("status", [AnalysisStatus.RECEIVED, AnalysisStatus.QUEUED, AnalysisStatus.RUNNING])
def test_an_analysis_in_progress_is_a_409_and_is_kept(api_stack: ApiStack, status: AnalysisStatus) -> None:
    partner = api_stack.partner()
    item = api_stack.stored(partner, status)

    answer = api_stack.call("DELETE", f"/v1/analyses/{item.analysis_id}", partner)

    assert answer.status == 409
    assert answer.problem["code"] == "analysis_in_progress"
    assert int(answer.headers["Retry-After"]) > 0
    assert api_stack.item(item.analysis_id) is not None


def test_a_provider_outage_is_a_503_and_nothing_is_erased_until_the_retry(api_stack: ApiStack) -> None:
    # Given a finished analysis, and a provider that answers its next delete with 503s
    partner = api_stack.partner()
    item = api_stack.succeeded(partner, task_id=api_stack.finished_task())
    api_stack.control.server_errors(routes=["task.delete"], status=503, times=1)

    # When its partner deletes it
    answer = api_stack.call("DELETE", f"/v1/analyses/{item.analysis_id}", partner)

    # Then it is told to retry later and everything is still there
    assert answer.status == 503
    assert answer.problem["code"] == "service_unavailable"
    assert int(answer.headers["Retry-After"]) >= 1
    assert len(_leftovers(api_stack, item)) == 6
    # And the retry erases it
    assert api_stack.call("DELETE", f"/v1/analyses/{item.analysis_id}", partner).status == 204
    assert _leftovers(api_stack, item) == []


def test_a_task_the_provider_no_longer_has_does_not_block_the_erasure(api_stack: ApiStack) -> None:
    partner = api_stack.partner()
    task_id = api_stack.finished_task()
    api_stack.control.expire_task(task_id)
    item = api_stack.stored(partner, AnalysisStatus.FAILED, task_id=task_id, error_code="task_expired")

    answer = api_stack.call("DELETE", f"/v1/analyses/{item.analysis_id}", partner)

    assert answer.status == 204
    assert _leftovers(api_stack, item) == []
