"""Client ↔ simulator round trips: SD and HD, JSON and ZIP, v2.0 and v2.1, file id and src_file_url."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from skin_analysis.provider import (
    HD_ACTIONS,
    SD_ACTIONS,
    ApiVersion,
    FileApi,
    MiniserverArgs,
    ResultFormat,
    TaskState,
    TaskStatus,
    unit_cost,
)
from skin_analysis.provider.actions import regions_of
from skin_analysis.quality import Quality
from skin_analysis_local.simulator import SimulatorControl
from tests.helpers import wait_until
from tests.integration.provider.conftest import jpeg

if TYPE_CHECKING:
    from skin_analysis.provider import PerfectCorpClient
    from skin_analysis_local.simulator import Simulator
    from tests.integration.provider.conftest import ImageHost, MakeClient, MakeSimulator

SIZES = {Quality.SD: (600, 800), Quality.HD: (1080, 1440)}
ACTIONS = {Quality.SD: SD_ACTIONS, Quality.HD: HD_ACTIONS}


def finished(client: PerfectCorpClient, task_id: str) -> TaskStatus:
    """Poll until the task is terminal (the SLA of a zero-delay simulator is well under 5 s)."""

    def terminal() -> TaskStatus | None:
        status = client.get_task(task_id)
        return status if status.state is not TaskState.RUNNING else None

    return wait_until(terminal, timeout=5, what=f"task {task_id} finished")


@pytest.mark.parametrize("version", list(ApiVersion))
@pytest.mark.parametrize("quality", list(Quality))
@pytest.mark.parametrize("source", ["file_id", "src_file_url"])
def test_json_round_trip(
    *,
    version: ApiVersion,
    quality: Quality,
    source: str,
    sim: Simulator,
    make_client: MakeClient,
    image_host: ImageHost,
) -> None:
    # Given a photo big enough for the quality and every action of that quality
    client = make_client(sim, version=version)
    photo = jpeg(*SIZES[quality])
    # When the task is created (from an uploaded file or a URL) and polled to the end
    if source == "file_id":
        file_id = client.upload_file(photo, content_type="image/jpeg", file_name="me.jpg")
        created = client.create_task(dst_actions=ACTIONS[quality], src_file_id=file_id)
    else:
        url = image_host.serve("/selfie.jpg", photo)
        created = client.create_task(dst_actions=ACTIONS[quality], src_file_url=url)
    status = finished(client, created.task_id)
    # Then every concern and region has a score or skin type, plus the summary entries
    assert status.state is TaskState.SUCCESS, status
    assert created.quality is quality
    results = status.results
    assert results is not None
    expected = {(a, r) for a in ACTIONS[quality] for r in regions_of(a)}
    got = {(s.concern, s.region) for s in results.scores} | {(s.concern, s.region) for s in results.skin_types}
    assert got == expected
    assert results.skin_age is not None
    assert results.overall_score is not None
    assert results.resized_image is not None
    # And a mask is a PNG at the input's size, served as binary/octet-stream
    mask = client.download(results.scores[0].mask or "")
    with Image.open(io.BytesIO(mask)) as image:
        assert image.format == "PNG"
        assert image.size == SIZES[quality]
    # And exactly the tier's units were charged
    assert SimulatorControl(sim.url).units_charged() == unit_cost(quality, len(ACTIONS[quality]))


@pytest.mark.parametrize("version", list(ApiVersion))
@pytest.mark.parametrize("quality", list(Quality))
@pytest.mark.parametrize("bare_string", [False, True])
def test_zip_round_trip(
    version: ApiVersion, quality: Quality, bare_string: bool, make_simulator: MakeSimulator, make_client: MakeClient
) -> None:
    # Given a simulator answering ZIP results as {url} or as the OpenAPI example's bare string
    sim = make_simulator(zip_results_bare_string=bare_string)
    client = make_client(sim, version=version)
    file_id = client.upload_file(jpeg(*SIZES[quality]), content_type="image/jpeg", file_name="me.jpg")
    actions = ACTIONS[quality][:5]
    # When a ZIP task finishes and its archive is downloaded
    status = finished(
        client, client.create_task(dst_actions=actions, src_file_id=file_id, result_format=ResultFormat.ZIP).task_id
    )
    assert status.zip_url is not None
    archive = client.download_zip(status.zip_url)
    # Then score_info.json names every concern and each named mask is in the archive at the input's size
    assert {s.concern for s in archive.results.scores} | {s.concern for s in archive.results.skin_types} == set(actions)
    for score in archive.results.scores:
        with Image.open(io.BytesIO(archive.mask_bytes(score.mask or ""))) as image:
            assert image.size == SIZES[quality]
    assert archive.results.overall_score is not None


def test_scores_are_deterministic_per_image(client: PerfectCorpClient) -> None:
    # Given two uploads of one photo and one of another
    same = jpeg(600, 800, shade=100)
    other = jpeg(600, 800, shade=220)

    def scores(photo: bytes) -> dict[str, dict[str, dict[str, float]]]:
        file_id = client.upload_file(photo, content_type="image/jpeg", file_name="p.jpg")
        status = finished(client, client.create_task(dst_actions=SD_ACTIONS, src_file_id=file_id).task_id)
        assert status.results is not None
        return status.results.score_map()

    # Then the same bytes score the same and different bytes differ
    assert scores(same) == scores(same)
    assert scores(same) != scores(other)


@pytest.mark.parametrize("file_api", list(FileApi))
def test_every_file_endpoint_feeds_a_v21_task(file_api: FileApi, sim: Simulator, make_client: MakeClient) -> None:
    client = make_client(sim, file_api=file_api)
    file_id = client.upload_file(jpeg(600, 800), content_type="image/jpeg", file_name="me.jpg")
    assert "/" in file_id or "+" in file_id or len(file_id) == 64
    status = finished(client, client.create_task(dst_actions=["wrinkle"], src_file_id=file_id).task_id)
    assert status.state is TaskState.SUCCESS


def test_upload_sends_exactly_the_slot_headers(sim: Simulator, client: PerfectCorpClient) -> None:
    # When a file is uploaded through the presigned PUT
    file_id = client.upload_file(jpeg(600, 800), content_type="image/jpeg", file_name="me.jpg")
    # Then the PUT carried the File API's two headers and none of the session's defaults or the API key
    sent = sim.state.files[file_id].upload_headers
    assert sent["content-type"] == "image/jpeg"
    assert "authorization" not in sent
    assert "accept" not in sent
    assert "python-requests" not in sent.get("user-agent", "")
    # urllib3 itself adds Host, Accept-Encoding: identity and its own User-Agent; S3 signs none of them.
    assert set(sent) <= {"host", "content-type", "content-length", "accept-encoding", "user-agent"}


def test_overlay_masks_are_jpegs(client: PerfectCorpClient) -> None:
    file_id = client.upload_file(jpeg(600, 800), content_type="image/jpeg", file_name="me.jpg")
    created = client.create_task(
        dst_actions=["wrinkle"], src_file_id=file_id, miniserver_args=MiniserverArgs(enable_mask_overlay=True)
    )
    results = finished(client, created.task_id).results
    assert results is not None
    with Image.open(io.BytesIO(client.download(results.scores[0].mask or ""))) as image:
        assert image.format == "JPEG"


def test_masks_are_capped_at_2560_on_the_long_side(client: PerfectCorpClient) -> None:
    file_id = client.upload_file(jpeg(2400, 3200), content_type="image/jpeg", file_name="big.jpg")
    results = finished(client, client.create_task(dst_actions=["wrinkle"], src_file_id=file_id).task_id).results
    assert results is not None
    with Image.open(io.BytesIO(client.download(results.scores[0].mask or ""))) as image:
        assert image.size == (1920, 2560)


def test_units_and_prices(sim: Simulator, client: PerfectCorpClient) -> None:
    # Given the starting balance and the price list
    before = sum(lot.amount_dec for lot in client.credit_balance())
    skus = client.feature_costs()
    assert {sku.amount for sku in skus} == {9, 12, 14, 16, 20, 22}
    # When a 16-concern SD task succeeds and an errored task ends
    file_id = client.upload_file(jpeg(600, 800), content_type="image/jpeg", file_name="me.jpg")
    finished(client, client.create_task(dst_actions=SD_ACTIONS, src_file_id=file_id).task_id)
    tiny = client.upload_file(jpeg(100, 100), content_type="image/jpeg", file_name="tiny.jpg")
    finished(client, client.create_task(dst_actions=SD_ACTIONS, src_file_id=tiny).task_id)
    # Then only the success was charged, 16 units
    assert sum(lot.amount_dec for lot in client.credit_balance()) == before - 16
