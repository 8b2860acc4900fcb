"""Finalize Analysis end to end: the simulator's result in the item and the bucket, one Completed event."""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest
import requests

from skin_analysis.errors import ErrorCode
from skin_analysis.events import AnalysisCompleted, EventPublisher
from skin_analysis.finalize import FinalizeAnalysis, MaskCopier
from skin_analysis.finalize.masks import mask_prefix
from skin_analysis.finalize.result import MaskSource, fetch_result
from skin_analysis.models import AnalysisStatus
from skin_analysis.provider import (
    HD_ACTIONS,
    SD_ACTIONS,
    AnalysisRejected,
    ProviderUnavailable,
    ResultFormat,
    ResultUnavailable,
    TaskExpired,
)
from skin_analysis.provider.actions import SKIN_TYPE_ACTIONS, WHOLE, regions_of
from skin_analysis.provider.factory import provider_client_from
from skin_analysis.settings import FinalizeSettings, load_settings
from skin_analysis_local.event_schemas import SCHEMAS_DIR, schema_file_name
from skin_analysis_local.simulator.faults import ServerErrors
from skin_analysis_local.simulator.results import raw_score, skin_type, ui_score
from tests.unit.finalize.payloads import lambda_error

if TYPE_CHECKING:
    import boto3

    from tests.integration.finalize.conftest import FinalizeStack, SubmittedAnalysis

COMPLETED = "Skin Analysis Completed"
ACTIONS = {"sd": SD_ACTIONS, "hd": HD_ACTIONS}
PNG = b"\x89PNG\r\n\x1a\n"
# Masks are valid for 2 h after the status GET that minted them.
PAST_URL_EXPIRY = 2 * 3600 + 1


def expected_scores(submitted: SubmittedAnalysis) -> dict[str, dict[str, dict[str, float]]]:
    """The simulator's scores for this photo, computed from its own scoring rules."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for action in submitted.dst_actions:
        if action in SKIN_TYPE_ACTIONS:
            continue
        for region in regions_of(action):
            raw = raw_score(submitted.image_sha, action, region)
            out.setdefault(action, {})[region] = {"raw_score": raw, "ui_score": ui_score(raw)}
    return out


def expected_skin_type(submitted: SubmittedAnalysis) -> dict[str, str]:
    return {
        region: skin_type(submitted.image_sha, action, region)
        for action in submitted.dst_actions
        if action in SKIN_TYPE_ACTIONS
        for region in regions_of(action)
    }


def expected_mask_names(submitted: SubmittedAnalysis) -> set[str]:
    return {
        action if region == WHOLE else f"{action}_{region}"
        for action in submitted.dst_actions
        for region in regions_of(action)
    }


def validate_against_schema(event: dict[str, Any]) -> None:
    schema = json.loads((SCHEMAS_DIR / schema_file_name(event["detail-type"])).read_text())
    jsonschema.validate(event, schema)


def plain(value: Any) -> Any:
    as_dict = getattr(value, "as_dict", None)
    return as_dict() if callable(as_dict) else value


@pytest.mark.parametrize("result_format", list(ResultFormat))
@pytest.mark.parametrize("quality", ["sd", "hd"])
def test_a_finished_task_becomes_a_succeeded_analysis_with_its_masks_and_one_completed_event(
    finalize_stack: FinalizeStack, quality: str, result_format: ResultFormat
) -> None:
    # Given a partner's photo analysed with every action of its quality, its item SUBMITTED
    submitted = finalize_stack.submitted(quality, ACTIONS[quality], result_format, partner_id="acme")
    reads_before = finalize_stack.reads_granted()
    status_calls_before = finalize_stack.control.calls("task.status")
    # When Finalize Analysis runs
    answer = finalize_stack.run_finalize(submitted.analysis_id, submitted.task_id)
    # Then it answers the status for the ResultSelector and the item holds exactly the simulator's result
    assert answer == {"status": "SUCCEEDED"}
    item = finalize_stack.item(submitted.analysis_id)
    assert item.status is AnalysisStatus.SUCCEEDED
    assert plain(item.scores) == expected_scores(submitted)
    assert plain(item.skin_type) == expected_skin_type(submitted)
    provider_view = finalize_stack.provider.get_task(submitted.task_id)
    results = (
        provider_view.results
        if provider_view.zip_url is None
        else finalize_stack.provider.download_zip(provider_view.zip_url).results
    )
    assert results is not None
    assert item.skin_age == results.skin_age
    assert item.overall_score == results.overall_score
    # And every mask is in the results bucket under analyses/<id>/masks/, as a PNG
    mask_keys = plain(item.mask_keys)
    assert set(mask_keys) == expected_mask_names(submitted)
    prefix = f"analyses/{submitted.analysis_id}/masks/"
    assert mask_keys == {name: f"{prefix}{name}.png" for name in mask_keys}
    listed = finalize_stack.s3.list_objects_v2(Bucket=finalize_stack.results_bucket, Prefix=prefix)
    assert sorted(obj["Key"] for obj in listed.get("Contents", [])) == sorted(mask_keys.values())
    for key in mask_keys.values():
        stored = finalize_stack.s3.get_object(Bucket=finalize_stack.results_bucket, Key=key)
        assert stored["ContentType"] == "image/png"
        assert stored["Body"].read().startswith(PNG)
    # And the one counted call was the result GET, under one read permit from the shared limiter
    assert finalize_stack.reads_granted() - reads_before == 1
    assert finalize_stack.control.calls("task.status") - status_calls_before == 2  # finalize's GET + ours above
    # And exactly one Completed event announces it, valid against the published schema, every field filled
    events = finalize_stack.events(submitted.analysis_id)
    assert [event["detail-type"] for event in events] == [COMPLETED]
    validate_against_schema(events[0])
    detail = AnalysisCompleted.model_validate(events[0]["detail"])
    assert detail.partner_id == "acme"
    assert detail.source is not None
    assert (detail.source.bucket, detail.source.key, detail.source.version) == (
        item.source_bucket,
        item.source_key,
        item.source_version,
    )
    assert (detail.quality, detail.dst_actions) == (quality, list(ACTIONS[quality]))
    assert detail.model_dump()["scores"] == expected_scores(submitted)
    assert detail.skin_type == expected_skin_type(submitted)
    assert (detail.skin_age, detail.overall_score) == (results.skin_age, results.overall_score)
    assert detail.result.model_dump() == {
        "table": finalize_stack.analyses_table,
        "bucket": finalize_stack.results_bucket,
        "prefix": f"analyses/{submitted.analysis_id}/",
        "normalized_key": f"analyses/{submitted.analysis_id}/normalized.jpg",
        "mask_keys": mask_keys,
    }
    assert detail.occurred_at == item.updated_at


def test_json_masks_are_the_providers_bytes(finalize_stack: FinalizeStack) -> None:
    # Given a finished JSON task
    submitted = finalize_stack.submitted("sd", ("wrinkle", "acne"))
    # When it is finalized
    finalize_stack.run_finalize(submitted.analysis_id, submitted.task_id)
    # Then each stored mask is byte for byte what the provider serves for it
    results = finalize_stack.provider.get_task(submitted.task_id).results
    assert results is not None
    for name, url in results.masks().items():
        stored = finalize_stack.s3.get_object(
            Bucket=finalize_stack.results_bucket, Key=f"analyses/{submitted.analysis_id}/masks/{name}.png"
        )
        assert stored["Body"].read() == finalize_stack.provider.download(url)


def test_masks_are_put_without_waiting_for_100_continue(
    finalize_stack: FinalizeStack, boto_session: boto3.Session
) -> None:
    # Given the masks of a finished JSON task and an S3 client that records the headers of each PutObject it sends
    submitted = finalize_stack.submitted("sd", ("wrinkle", "acne"))
    result = fetch_result(finalize_stack.provider, submitted.task_id)
    s3 = boto_session.client("s3")
    sent: list[dict[str, str]] = []
    s3.meta.events.register("before-send.s3.PutObject", lambda request, **_: sent.append(dict(request.headers)))

    # When a MaskCopier on that client copies them
    keys = MaskCopier(s3, finalize_stack.results_bucket).copy(submitted.analysis_id, result.masks)

    # Then every mask was stored, each sent with its body at once (no Expect: 100-continue round trip)
    assert len(sent) == len(keys) == len(result.masks)
    assert all("Expect" not in headers for headers in sent)
    for key in keys.values():
        assert finalize_stack.s3.head_object(Bucket=finalize_stack.results_bucket, Key=key)["ContentLength"] > 0


def test_a_failed_mask_is_raised_once_every_copy_has_ended_and_the_copy_threads_are_kept(
    finalize_stack: FinalizeStack,
) -> None:
    # Given a copier, and masks of which one cannot be fetched while the others take a while
    copier = MaskCopier(finalize_stack.s3, finalize_stack.results_bucket, workers=4)
    ended: list[str] = []
    threads: set[threading.Thread] = set()

    def slow(name: str) -> MaskSource:
        def fetch() -> bytes:
            threads.add(threading.current_thread())
            time.sleep(0.2)
            ended.append(name)
            return PNG + name.encode()

        return MaskSource(f"{name}.png", fetch)

    def broken() -> bytes:
        threads.add(threading.current_thread())
        raise ResultUnavailable("gone")

    masks = {"acne": slow("acne"), "pore": MaskSource("pore.png", broken), "wrinkle": slow("wrinkle")}

    # When it copies them, then the failure is raised only after the other copies ended and were stored
    with pytest.raises(ResultUnavailable):
        copier.copy("an-analysis", masks)
    assert sorted(ended) == ["acne", "wrinkle"]
    listed = finalize_stack.s3.list_objects_v2(Bucket=finalize_stack.results_bucket, Prefix=mask_prefix("an-analysis"))
    assert sorted(item["Key"] for item in listed["Contents"]) == [
        f"{mask_prefix('an-analysis')}{name}.png" for name in ("acne", "wrinkle")
    ]
    # And the next copy runs on threads that were already there (none is started per invoke)
    live = {thread for thread in threading.enumerate() if thread.name.startswith("mask-copy")}
    threads.clear()
    assert copier.copy("another", {name: slow(name) for name in ("a", "b")}) == {
        name: f"{mask_prefix('another')}{name}.png" for name in ("a", "b")
    }
    assert threads <= live
    assert {thread for thread in threading.enumerate() if thread.name.startswith("mask-copy")} == live


def test_the_task_id_falls_back_to_the_items_own(finalize_stack: FinalizeStack) -> None:
    submitted = finalize_stack.submitted("sd", ("pore",))
    assert finalize_stack.run_finalize(submitted.analysis_id, None) == {"status": "SUCCEEDED"}


def test_a_duplicate_finalize_changes_nothing_and_publishes_nothing(finalize_stack: FinalizeStack) -> None:
    # Given an analysis already finalized once
    submitted = finalize_stack.submitted("sd", ("wrinkle", "skin_type"), ResultFormat.ZIP)
    finalize_stack.run_finalize(submitted.analysis_id, submitted.task_id)
    before = finalize_stack.item(submitted.analysis_id)
    reads_before = finalize_stack.reads_granted()
    # When Finalize Analysis runs again (a retried invocation, a redelivered step)
    answer = finalize_stack.run_finalize(submitted.analysis_id, submitted.task_id)
    # Then it answers SUCCEEDED without a provider call, the item is untouched and no second event goes out
    assert answer == {"status": "SUCCEEDED"}
    after = finalize_stack.item(submitted.analysis_id)
    assert after.updated_at == before.updated_at
    assert plain(after.scores) == plain(before.scores)
    assert finalize_stack.reads_granted() == reads_before
    assert len(finalize_stack.events(submitted.analysis_id, COMPLETED)) == 1


def test_finalize_of_an_analysis_that_already_failed_leaves_it_failed(finalize_stack: FinalizeStack) -> None:
    # Given an analysis whose failure was recorded first (e.g. the deadline passed as the result arrived)
    submitted = finalize_stack.submitted("sd", ("wrinkle",))
    finalize_stack.run_record_failure(submitted.analysis_id, {"progress": {"deadline_passed": True, "attempt": 9}})
    # When Finalize Analysis runs
    answer = finalize_stack.run_finalize(submitted.analysis_id, submitted.task_id)
    # Then the item stays FAILED with its code, nothing is copied and no Completed event goes out
    assert answer == {"status": "FAILED"}
    item = finalize_stack.item(submitted.analysis_id)
    assert (item.status, item.error_code) == (AnalysisStatus.FAILED, ErrorCode.TIMEOUT)
    assert item.scores is None
    listed = finalize_stack.s3.list_objects_v2(
        Bucket=finalize_stack.results_bucket, Prefix=f"analyses/{submitted.analysis_id}/"
    )
    assert listed.get("KeyCount", 0) == 0
    assert finalize_stack.events(submitted.analysis_id, COMPLETED) == []


def test_an_engine_error_at_finalize_is_raised_and_recorded_with_the_engine_code(finalize_stack: FinalizeStack) -> None:
    # Given a task the engine refused (no face found)
    submitted = finalize_stack.submitted("sd", ("wrinkle",), file_name="selfie.sim-error_no_face.jpg")
    # When Finalize Analysis runs, it raises AnalysisRejected and leaves the item as it was
    with pytest.raises(AnalysisRejected) as raised:
        finalize_stack.run_finalize(submitted.analysis_id, submitted.task_id)
    assert finalize_stack.item(submitted.analysis_id).status is AnalysisStatus.SUBMITTED
    # And Record Failure, given the Lambda error the Catch hands it, stores the engine code verbatim
    answer = finalize_stack.run_record_failure(
        submitted.analysis_id, {"progress": {"task_id": submitted.task_id}, "error": lambda_error(raised.value)}
    )
    assert answer == {"status": "FAILED"}
    item = finalize_stack.item(submitted.analysis_id)
    assert (item.status, item.error_code) == (AnalysisStatus.FAILED, "error_no_face")
    assert [event["detail"]["error"]["code"] for event in finalize_stack.events(submitted.analysis_id)] == [
        "error_no_face"
    ]


def test_an_expired_task_raises_task_expired_and_is_recorded_as_such(finalize_stack: FinalizeStack) -> None:
    # Given an item whose task the provider has forgotten (deleted after it finished)
    submitted = finalize_stack.submitted("sd", ("wrinkle",))
    finalize_stack.provider.delete_task(submitted.task_id)
    # When Finalize Analysis runs, the GET's "Invalid task ID" surfaces as TaskExpired, nothing written
    with pytest.raises(TaskExpired) as raised:
        finalize_stack.run_finalize(submitted.analysis_id, submitted.task_id)
    assert finalize_stack.item(submitted.analysis_id).status is AnalysisStatus.SUBMITTED
    # And Record Failure stores task_expired
    finalize_stack.run_record_failure(submitted.analysis_id, {"error": lambda_error(raised.value)})
    assert finalize_stack.item(submitted.analysis_id).error_code == ErrorCode.TASK_EXPIRED


def test_a_provider_failure_leaves_the_item_as_it_was_and_the_retry_succeeds(finalize_stack: FinalizeStack) -> None:
    # Given a finished task and a provider that answers the next status GET with a 503
    submitted = finalize_stack.submitted("sd", ("wrinkle",))
    finalize_stack.sim.state.faults.add(ServerErrors(routes=frozenset({"task.status"}), status=503))
    # When Finalize Analysis runs, it raises ProviderUnavailable (retried by the state machine) and writes nothing
    with pytest.raises(ProviderUnavailable):
        finalize_stack.run_finalize(submitted.analysis_id, submitted.task_id)
    assert finalize_stack.item(submitted.analysis_id).status is AnalysisStatus.SUBMITTED
    assert finalize_stack.events(submitted.analysis_id) == []
    # Then the retry finalizes it, once
    assert finalize_stack.run_finalize(submitted.analysis_id, submitted.task_id) == {"status": "SUCCEEDED"}
    assert len(finalize_stack.events(submitted.analysis_id, COMPLETED)) == 1


@pytest.mark.parametrize("result_format", list(ResultFormat))
def test_result_urls_expired_before_the_copy_raise_result_unavailable(
    finalize_stack: FinalizeStack, result_format: ResultFormat
) -> None:
    # Given a status answer that reaches us after its mask/ZIP URLs expired (2 h of provider time later)
    submitted = finalize_stack.submitted("sd", ("wrinkle", "pore"), result_format)
    session = requests.Session()

    def expire_urls(response: requests.Response, *args: object, **kwargs: object) -> None:
        if "/task/skin-analysis/" in response.url:
            finalize_stack.sim.state.clock.advance(PAST_URL_EXPIRY)

    session.hooks["response"].append(expire_urls)
    settings = load_settings(FinalizeSettings)
    finalize = FinalizeAnalysis(
        provider=provider_client_from(settings, session=session),
        masks=MaskCopier(finalize_stack.s3, settings.results_bucket),
        publisher=EventPublisher(settings.event_bus_name),
        analyses_table=settings.analyses_table,
        results_bucket=settings.results_bucket,
    )
    # When finalize tries to copy the result, the storage host answers 403 and ResultUnavailable is raised
    with pytest.raises(ResultUnavailable) as raised:
        finalize(submitted.analysis_id, submitted.task_id)
    assert raised.value.status_code == 403
    # And nothing was stored or announced; Record Failure would store provider_unavailable (a replayable code)
    assert finalize_stack.item(submitted.analysis_id).status is AnalysisStatus.SUBMITTED
    assert finalize_stack.events(submitted.analysis_id) == []
    finalize_stack.run_record_failure(submitted.analysis_id, {"error": lambda_error(raised.value)})
    assert finalize_stack.item(submitted.analysis_id).error_code == ErrorCode.PROVIDER_UNAVAILABLE


def test_a_completed_event_refused_by_eventbridge_is_published_by_the_retry(finalize_stack: FinalizeStack) -> None:
    # Given a finalize whose publish fails after the result was stored (a bus that does not exist)
    submitted = finalize_stack.submitted("sd", ("wrinkle",))
    handler_use_case = finalize_stack.finalize.finalize_analysis
    healthy = handler_use_case._publisher
    handler_use_case._publisher = EventPublisher("no-such-bus", max_attempts=1)
    try:
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever moto raises for a missing bus
            finalize_stack.run_finalize(submitted.analysis_id, submitted.task_id)
    finally:
        handler_use_case._publisher = healthy
    stored = finalize_stack.item(submitted.analysis_id)
    assert stored.status is AnalysisStatus.SUCCEEDED
    assert stored.announced_at is None
    # When the state machine retries Finalize Analysis
    assert finalize_stack.run_finalize(submitted.analysis_id, submitted.task_id) == {"status": "SUCCEEDED"}
    # Then the owed event goes out once, and a further retry publishes nothing
    assert finalize_stack.item(submitted.analysis_id).announced_at is not None
    finalize_stack.run_finalize(submitted.analysis_id, submitted.task_id)
    assert len(finalize_stack.events(submitted.analysis_id, COMPLETED)) == 1
