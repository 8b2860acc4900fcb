"""The whole pipeline on the local stack, webhooks off: uploads become results or clear failures, via polling.

Session parameters (tests/e2e/conftest.py) shrink the webhook grace and poll delays and scale the rate budget
down (20 requests per 10 s), so the poll path and the limiter are exercised in seconds, not minutes.
"""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import boto3
import jsonschema
import pytest
from PIL import Image

from skin_analysis.ratelimit import max_in_any_window
from skin_analysis_local.event_schemas import SCHEMAS_DIR, schema_file_name
from tests.e2e.conftest import E2E_SETTINGS
from tests.e2e.pipeline import Pipeline, plain_jpeg
from tests.e2e.stack import start_local_stack
from tests.unit.imaging.corpus import encode, jpeg_header_only, photo, png_header_only

if TYPE_CHECKING:
    from collections.abc import Iterator

COMPLETED, FAILED = "Skin Analysis Completed", "Skin Analysis Failed"


@pytest.fixture(scope="module")
def pipeline(aws: boto3.Session, local_stack: dict[str, Any]) -> Iterator[Pipeline]:
    """The stack with the simulator's webhooks switched off: every analysis finishes through polling."""
    observed = Pipeline.observe(aws, local_stack)
    urls = [endpoint["url"] for endpoint in observed.simulator.webhooks()["endpoints"]]
    observed.simulator.set_webhooks(urls=[])
    yield observed
    observed.simulator.set_webhooks(urls=urls)


@pytest.fixture(autouse=True)
def _no_leftover_faults(pipeline: Pipeline) -> Iterator[None]:
    yield
    pipeline.simulator.clear_faults()
    pipeline.simulator.clear_fixtures()


def _schema_valid(event: dict[str, Any]) -> None:
    jsonschema.validate(event, json.loads((SCHEMAS_DIR / schema_file_name(event["detail-type"])).read_text()))


def _numbers(attribute: dict[str, Any]) -> Any:
    """A DynamoDB attribute as plain Python (numbers as floats), for comparing with provider scores."""
    kind, value = next(iter(attribute.items()))
    if kind == "M":
        return {key: _numbers(inner) for key, inner in value.items()}
    if kind == "L":
        return [_numbers(inner) for inner in value]
    return float(value) if kind == "N" else value


@pytest.mark.parametrize(
    ("metadata", "quality"),
    [({}, "sd"), ({"skin-quality": "hd", "skin-actions": "hd_wrinkle,hd_pore,hd_skin_type"}, "hd")],
    ids=["sd", "hd"],
)
def test_a_photo_becomes_a_succeeded_analysis_with_masks_and_one_completed_event(
    pipeline: Pipeline, metadata: dict[str, str], quality: str
) -> None:
    # Given a photo under incoming/ whose key has spaces, a plus sign and non-ASCII characters
    analysis_id = pipeline.upload(plain_jpeg((1920, 1440)), "incoming/e2e/Maria José + friend " + quality, **metadata)
    # When the pipeline runs, then the item is SUCCEEDED with the attributes of DESIGN §4
    item = pipeline.finished(analysis_id)
    assert item["status"]["S"] == "SUCCEEDED", item.get("error_message")
    assert item["quality"]["S"] == quality
    assert item["source_key"]["S"] == "incoming/e2e/Maria José + friend " + quality
    for attribute in ("task_id", "scores", "mask_keys", "normalized_key", "created_at", "updated_at", "expires_at"):
        assert attribute in item, attribute
    # And its scores are the provider's, as the simulator reports them for this task
    assert _numbers(item["scores"]) == pipeline.expected_scores(item)
    # And every mask was copied into the results bucket
    mask_keys = _numbers(item["mask_keys"])
    assert mask_keys
    for key in mask_keys.values():
        assert pipeline.s3.head_object(Bucket=pipeline.info["results_bucket"], Key=key)["ContentLength"] > 0
    # And exactly one Completed event, valid against its schema, announced it
    [event] = pipeline.events_of(analysis_id)
    assert event["detail-type"] == COMPLETED
    _schema_valid(event)


def _truncated() -> bytes:
    data = plain_jpeg()
    return data[: len(data) // 2]


BAD_INPUTS = {
    "empty": (b"", "corrupt_image"),
    "truncated": (_truncated(), "corrupt_image"),
    "gif": (encode(photo((800, 600)), "GIF"), "unsupported_format"),
    "text named .jpg": (b"just some text\n" * 40, "unsupported_format"),
    "1x1": (encode(Image.new("RGB", (1, 1)), "PNG"), "image_too_small"),
    "pixel bomb": (png_header_only(40_000, 40_000), "image_too_large"),
    "jpeg bomb": (jpeg_header_only(60_000, 60_000), "image_too_large"),
}


def test_each_bad_input_fails_with_its_code_and_one_failed_event(pipeline: Pipeline) -> None:
    # Given one upload of each bad input class
    ids = {case: pipeline.upload(data, f"incoming/e2e/bad {case}.jpg") for case, (data, _) in BAD_INPUTS.items()}
    # Then each ends FAILED with its code, and one Failed event each
    for case, analysis_id in ids.items():
        item = pipeline.finished(analysis_id)
        assert (item["status"]["S"], item["error_code"]["S"]) == ("FAILED", BAD_INPUTS[case][1]), case
    for case, analysis_id in ids.items():
        events = pipeline.events_of(analysis_id, settle=0)
        assert [event["detail-type"] for event in events] == [FAILED], case
        assert events[0]["detail"]["error"]["code"] == BAD_INPUTS[case][1]
        _schema_valid(events[0])


def test_an_engine_error_fails_with_the_engine_code(pipeline: Pipeline) -> None:
    data = plain_jpeg()
    pipeline.simulator.engine_error("error_src_face_too_small", sha256=hashlib.sha256(data).hexdigest())
    item = pipeline.finished(pipeline.upload(data))
    assert (item["status"]["S"], item["error_code"]["S"]) == ("FAILED", "error_src_face_too_small")


def test_a_task_the_provider_forgot_fails_task_expired(pipeline: Pipeline) -> None:
    # Given tasks that run long enough to be expired while we wait for them
    delay = pipeline.simulator.config()["delay"]
    pipeline.simulator.configure(delay=30)
    try:
        analysis_id = pipeline.upload(plain_jpeg())
        task_id = pipeline.wait_for_task(analysis_id)
        pipeline.simulator.expire_task(task_id)
        item = pipeline.finished(analysis_id)
    finally:
        pipeline.simulator.configure(delay=delay)
    assert (item["status"]["S"], item["error_code"]["S"]) == ("FAILED", "task_expired")


def test_a_5xx_on_create_is_retried_and_charges_one_task(pipeline: Pipeline) -> None:
    # A 5xx after sending is an uncertain submit: the retry policy resubmits once (a second one fails the analysis)
    pipeline.simulator.server_errors(routes=["task.create"], times=1, status=503)
    data = plain_jpeg()
    item = pipeline.finished(pipeline.upload(data))
    assert item["status"]["S"] == "SUCCEEDED"
    assert pipeline.simulator.tasks_by_source().get(hashlib.sha256(data).hexdigest()) == 1


def test_a_dropped_create_is_resubmitted_once_and_counted(pipeline: Pipeline) -> None:
    pipeline.simulator.drop_responses(routes=["task.create"], times=1)
    data = plain_jpeg()
    item = pipeline.finished(pipeline.upload(data), timeout=120)
    assert (item["status"]["S"], item["uncertain_submits"]["N"]) == ("SUCCEEDED", "1")
    # The lost task was charged too: two tasks for one photo, both visible to the operator
    assert pipeline.simulator.tasks_by_source().get(hashlib.sha256(data).hexdigest()) == 2


def test_thirty_photos_at_once_all_succeed_inside_the_scaled_budget(
    pipeline: Pipeline, stack_outputs: dict[str, str]
) -> None:
    # Given 30 photos uploaded at once against a budget of 20 requests per 10 s
    before = pipeline.simulator.counters()
    started = time.time()
    with ThreadPoolExecutor(6) as pool:
        ids = list(pool.map(lambda _: pipeline.upload(plain_jpeg((960, 720))), range(30)))
    # Then every analysis succeeds, none failed by a 429
    items = [pipeline.finished(analysis_id, timeout=240) for analysis_id in ids]
    assert [item["status"]["S"] for item in items] == ["SUCCEEDED"] * 30
    after = pipeline.simulator.counters()
    assert sum(after["rate_limited"].values()) == sum(before["rate_limited"].values())
    # And no 10 s window saw more provider calls than the budget
    assert max_in_any_window([t for t in pipeline.simulator.call_times() if t >= started], 10.0) <= 20
    # And the cost per analysis on the poll path is reported
    calls = sum(sum(keys.values()) for keys in after["calls"].values()) - sum(
        sum(keys.values()) for keys in before["calls"].values()
    )
    transitions = [
        len(pipeline.execution_history(analysis_id, stack_outputs["StateMachineArn"])) for analysis_id in ids
    ]
    print(f"poll path: {calls / 30:.2f} provider calls and {sum(transitions) / 30:.1f} history events per analysis")
    assert calls / 30 <= 4


@pytest.fixture(scope="module")
def zip_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """A second stack whose provider results come as ZIP files (the format is a stack parameter)."""
    zip_results = ("--param", "ResultFormat=zip")
    with start_local_stack(tmp_path_factory.mktemp("zip-results"), *E2E_SETTINGS, *zip_results) as stack:
        session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1")
        yield Pipeline.observe(session, stack.info)


@pytest.mark.parametrize(
    "metadata", [{}, {"skin-quality": "hd", "skin-actions": "hd_wrinkle,hd_acne,hd_skin_type"}], ids=["sd", "hd"]
)
def test_zip_results_give_the_same_scores_and_masks(zip_pipeline: Pipeline, metadata: dict[str, str]) -> None:
    analysis_id = zip_pipeline.upload(plain_jpeg((1920, 1440)), **metadata)
    item = zip_pipeline.finished(analysis_id)
    assert item["status"]["S"] == "SUCCEEDED", item.get("error_message")
    assert _numbers(item["scores"]) == zip_pipeline.expected_scores(item)
    mask_keys = _numbers(item["mask_keys"])
    assert mask_keys
    for key in mask_keys.values():
        assert zip_pipeline.s3.head_object(Bucket=zip_pipeline.info["results_bucket"], Key=key)["ContentLength"] > 0
    [event] = zip_pipeline.events_of(analysis_id)
    assert event["detail-type"] == COMPLETED
    _schema_valid(event)
