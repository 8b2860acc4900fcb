"""Ingest end to end against moto: every upload becomes exactly one analysis, or one clear failure."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from skin_analysis.errors import ErrorCode
from skin_analysis.events import AnalysisFailed
from skin_analysis.ingest import IngestOutcome, IngestUpload
from skin_analysis.models import Analysis, AnalysisStatus, create_analysis
from skin_analysis.settings import IngestSettings, load_settings
from tests.unit.imaging.corpus import encode, jpeg_header_only, photo, png_header_only

if TYPE_CHECKING:
    from tests.integration.ingest.conftest import IngestStack


def _jpeg(size: tuple[int, int] = (1200, 900)) -> bytes:
    return encode(photo(size), "JPEG", quality=90)


def _put(stack: IngestStack, key: str, body: bytes, **metadata: str) -> None:
    stack.s3.put_object(Bucket=stack.uploads_bucket, Key=key, Body=body, Metadata=metadata)


def _item(stack: IngestStack, key: str) -> Analysis:
    matches = [item for item in Analysis.scan() if item.source_key == key]
    assert len(matches) == 1, f"{len(matches)} items for {key}"
    return matches[0]


def _failed_events(stack: IngestStack, analysis_id: str) -> list[AnalysisFailed]:
    return [
        AnalysisFailed.model_validate(event["detail"])
        for event in stack.events()
        if event["detail-type"] == "Skin Analysis Failed" and event["detail"]["analysis_id"] == analysis_id
    ]


def test_a_photo_with_an_awkward_key_becomes_one_queued_analysis(ingest_stack: IngestStack) -> None:
    # Given a phone photo whose key has spaces, a plus sign and non-ASCII characters
    key = f"incoming/{uuid.uuid4().hex[:6]}/Maria José + friend selfie.JPG"
    _put(ingest_stack, key, _jpeg())
    # When S3 notifies ingest (the key form-encoded, as S3 sends it)
    ingest_stack.ingest(key)
    # Then one item holds the real key, its options and the normalized photo, and its execution has started
    item = _item(ingest_stack, key)
    assert item.status is AnalysisStatus.QUEUED
    assert (item.source_bucket, item.quality, item.dst_actions) == (
        ingest_stack.uploads_bucket,
        "sd",
        ["wrinkle", "pore", "texture"],
    )
    assert item.source_version
    assert item.created_at
    assert item.expires_at
    assert item.normalized_key == f"analyses/{item.analysis_id}/normalized.jpg"
    normalized = ingest_stack.s3.get_object(Bucket=ingest_stack.results_bucket, Key=item.normalized_key)
    assert normalized["ContentType"] == "image/jpeg"
    assert item.analysis_id in ingest_stack.executions()
    execution = ingest_stack.sfn.describe_execution(
        executionArn=f"{ingest_stack.state_machine_arn.replace(':stateMachine:', ':execution:')}:{item.analysis_id}"
    )
    assert json.loads(execution["input"])["analysis_id"] == item.analysis_id


def test_the_same_event_three_times_at_once_gives_one_item_and_one_execution(ingest_stack: IngestStack) -> None:
    # Given one uploaded photo
    key = f"incoming/{uuid.uuid4().hex}.jpg"
    _put(ingest_stack, key, _jpeg())
    # When its notification is delivered three times concurrently
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda _: ingest_stack.ingest(key), range(3)))
    # Then there is one item and one execution
    item = _item(ingest_stack, key)
    assert item.status is AnalysisStatus.QUEUED
    assert ingest_stack.executions().count(item.analysis_id) == 1


def test_a_redelivery_hours_later_changes_nothing(ingest_stack: IngestStack) -> None:
    # Given an upload already ingested
    key = f"incoming/{uuid.uuid4().hex}.jpg"
    _put(ingest_stack, key, _jpeg())
    ingest_stack.ingest(key)
    before = _item(ingest_stack, key)
    # When the same notification arrives again
    ingest_stack.ingest(key)
    # Then the item and executions are as they were
    after = _item(ingest_stack, key)
    assert (after.status, after.updated_at) == (before.status, before.updated_at)
    assert ingest_stack.executions().count(before.analysis_id) == 1


def test_new_content_under_the_same_key_is_a_new_analysis(ingest_stack: IngestStack) -> None:
    # Given a key ingested once
    key = f"incoming/{uuid.uuid4().hex}.jpg"
    _put(ingest_stack, key, _jpeg((1200, 900)))
    ingest_stack.ingest(key)
    # When new content is uploaded under the same key
    _put(ingest_stack, key, _jpeg((1000, 800)))
    ingest_stack.ingest(key)
    # Then there are two analyses, each started once
    items = [item for item in Analysis.scan() if item.source_key == key]
    assert len({item.analysis_id for item in items}) == 2
    assert all(ingest_stack.executions().count(item.analysis_id) == 1 for item in items)


def _truncated_jpeg() -> bytes:
    data = _jpeg()
    return data[: len(data) // 2]


BAD_INPUTS = {
    "empty": (b"", ErrorCode.CORRUPT_IMAGE),
    "truncated": (_truncated_jpeg(), ErrorCode.CORRUPT_IMAGE),
    "gif": (encode(photo((800, 600)), "GIF"), ErrorCode.UNSUPPORTED_FORMAT),
    "text named .jpg": (b"this is not a photo\n" * 50, ErrorCode.UNSUPPORTED_FORMAT),
    "one pixel": (encode(Image.new("RGB", (1, 1)), "PNG"), ErrorCode.IMAGE_TOO_SMALL),
    "pixel bomb": (png_header_only(40_000, 40_000), ErrorCode.IMAGE_TOO_LARGE),
    "jpeg bomb": (jpeg_header_only(60_000, 60_000), ErrorCode.IMAGE_TOO_LARGE),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_each_bad_input_fails_with_its_code_and_one_event(ingest_stack: IngestStack, case: str) -> None:
    # Given a bad upload
    data, code = BAD_INPUTS[case]
    key = f"incoming/{uuid.uuid4().hex}.jpg"
    _put(ingest_stack, key, data)
    # When it is ingested (twice: a duplicate delivery must not announce the failure again)
    ingest_stack.ingest(key)
    ingest_stack.ingest(key)
    # Then the item is FAILED with the code and a message, no execution started, one Failed event published
    item = _item(ingest_stack, key)
    assert (item.status, item.error_code) == (AnalysisStatus.FAILED, code)
    assert item.error_message
    assert item.analysis_id not in ingest_stack.executions()
    [event] = _failed_events(ingest_stack, item.analysis_id)
    assert event.error.code == code
    assert event.source is not None
    assert event.source.key == key


def test_invalid_metadata_options_fail_with_the_reason(ingest_stack: IngestStack) -> None:
    key = f"incoming/{uuid.uuid4().hex}.jpg"
    _put(ingest_stack, key, _jpeg(), **{"skin-quality": "ultra"})
    ingest_stack.ingest(key)
    item = _item(ingest_stack, key)
    assert (item.status, item.error_code) == (AnalysisStatus.FAILED, ErrorCode.INVALID_OPTIONS)
    assert "ultra" in (item.error_message or "")


def test_metadata_options_choose_quality_and_actions(ingest_stack: IngestStack) -> None:
    key = f"incoming/{uuid.uuid4().hex}.jpg"
    _put(ingest_stack, key, _jpeg((1920, 1440)), **{"skin-quality": "hd", "skin-actions": "hd_wrinkle, hd_pore"})
    ingest_stack.ingest(key)
    item = _item(ingest_stack, key)
    assert (item.status, item.quality, item.dst_actions) == (AnalysisStatus.QUEUED, "hd", ["hd_wrinkle", "hd_pore"])


def test_an_upload_over_the_limit_is_refused_before_it_is_read(ingest_stack: IngestStack) -> None:
    # Given a stack whose upload limit is smaller than a photo
    settings = load_settings(IngestSettings).model_copy(update={"max_upload_bytes": 1000})
    small_limit = IngestUpload(
        settings, ingest_stack.s3, ingest_stack.sfn, ingest_stack.handler.ingest_upload._publisher
    )
    key = f"incoming/{uuid.uuid4().hex}.jpg"
    _put(ingest_stack, key, _jpeg())
    # When it is ingested, then it fails as too large, naming both sizes
    result = small_limit(ingest_stack.uploads_bucket, key)
    assert (result.outcome, result.error_code, result.bytes_in) == (IngestOutcome.FAILED, ErrorCode.IMAGE_TOO_LARGE, 0)
    assert "limit is 1000 bytes" in (_item(ingest_stack, key).error_message or "")


def test_a_partner_upload_moves_its_awaiting_item_on(ingest_stack: IngestStack) -> None:
    # Given an analysis a partner created through the API, awaiting its photo
    analysis_id = uuid.uuid4().hex
    create_analysis(
        Analysis(
            analysis_id,
            status=AnalysisStatus.AWAITING_UPLOAD,
            partner_id="acme",
            quality="sd",
            dst_actions=["acne"],
        )
    )
    key = f"partners/acme/{analysis_id}.jpg"
    _put(ingest_stack, key, _jpeg())
    # When the photo is uploaded and ingested
    ingest_stack.ingest(key)
    # Then that item (no new one) is queued with its source and its execution started
    item = Analysis.get(analysis_id, consistent_read=True)
    assert (item.status, item.source_key, item.partner_id) == (AnalysisStatus.QUEUED, key, "acme")
    assert item.normalized_key == f"analyses/{analysis_id}/normalized.jpg"
    assert analysis_id in ingest_stack.executions()


def test_a_partner_upload_nobody_awaits_fails_clearly(ingest_stack: IngestStack) -> None:
    key = f"partners/acme/{uuid.uuid4().hex}.jpg"
    _put(ingest_stack, key, _jpeg())
    ingest_stack.ingest(key)
    item = _item(ingest_stack, key)
    assert (item.status, item.error_code) == (AnalysisStatus.FAILED, ErrorCode.UPLOAD_MISSING)
    assert [event.error.code for event in _failed_events(ingest_stack, item.analysis_id)] == [ErrorCode.UPLOAD_MISSING]


def test_a_partner_upload_into_another_partners_analysis_is_refused(ingest_stack: IngestStack) -> None:
    # Given acme's analysis awaiting its photo
    analysis_id = uuid.uuid4().hex
    create_analysis(
        Analysis(
            analysis_id, status=AnalysisStatus.AWAITING_UPLOAD, partner_id="acme", quality="sd", dst_actions=["acne"]
        )
    )
    # When another partner's prefix names it
    key = f"partners/globex/{analysis_id}.jpg"
    _put(ingest_stack, key, _jpeg())
    ingest_stack.ingest(key)
    # Then acme's item is untouched and the stray upload is recorded as upload_missing
    assert Analysis.get(analysis_id, consistent_read=True).status is AnalysisStatus.AWAITING_UPLOAD
    assert _item(ingest_stack, key).error_code == ErrorCode.UPLOAD_MISSING


def test_an_object_deleted_before_ingest_is_skipped(ingest_stack: IngestStack) -> None:
    key = f"incoming/{uuid.uuid4().hex}.jpg"
    ingest_stack.ingest(key)
    assert not [item for item in Analysis.scan() if item.source_key == key]
