"""Every request-level error of contract §5 and every engine outcome, produced by the simulator and mapped
by the client to the class the state machine routes on."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import pytest
import requests

from skin_analysis.errors import ErrorCode
from skin_analysis.provider import (
    AnalysisRejected,
    ApiVersion,
    InsufficientCredit,
    InvalidActions,
    InvalidRequest,
    ProviderAuthError,
    ProviderRateLimited,
    ProviderTaskTimeout,
    ProviderUnavailable,
    ResultUnavailable,
    SubmissionUncertain,
    TaskExpired,
    TaskState,
    Timeouts,
)
from skin_analysis_local.simulator import AuthErrorVariant, MissingUploadMode, SimulatorControl
from skin_analysis_local.simulator.faults import DroppedResponse, ServerErrors, SlowResponse
from tests.helpers import free_port
from tests.integration.provider.conftest import API_KEY, jpeg
from tests.integration.provider.contract_schemas import validate_response
from tests.integration.provider.test_roundtrip import finished

if TYPE_CHECKING:
    from skin_analysis.provider import PerfectCorpClient
    from skin_analysis_local.simulator import Simulator
    from tests.integration.provider.conftest import ImageHost, MakeClient, MakeSimulator


def upload(client: PerfectCorpClient, photo: bytes | None = None, name: str = "me.jpg") -> str:
    return client.upload_file(photo or jpeg(600, 800), content_type="image/jpeg", file_name=name)


def raw(sim: Simulator, method: str, path: str, body: Any = None, key: str = API_KEY) -> requests.Response:
    """A hand-made request (for bodies the client refuses to send), schema-checked like every answer."""
    response = requests.request(
        method, f"{sim.url}{path}", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=5
    )
    validate_response(method, path, response.status_code, response.json())
    assert response.headers["x-request-id"].isdigit()
    return response


# 400 InvalidParameters, BadRequest ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"dst_actions": ["wrinkle"]}, "Invalid parameter value"),
        ({"src_file_url": "http://x/y.jpg"}, "Invalid parameter value"),
        ({"src_file_url": "http://x/y.jpg", "dst_actions": []}, "Invalid parameter value"),
        ({"src_file_url": "http://x/y.jpg", "dst_actions": ["abc123"]}, "Not available dst_action abc123"),
        ({"src_file_url": "http://x/y.jpg", "dst_actions": ["wrinkle", "hd_pore"]}, "cannot mix HD and SD dst_actions"),
        ({"src_file_url": "http://x/y.jpg", "dst_actions": ["wrinkle"], "format": "xml"}, "Invalid parameter value"),
        ({"src_file_id": "unknown", "dst_actions": ["wrinkle"]}, "Invalid parameter value"),
    ],
)
def test_create_rejects_bad_bodies_with_invalid_parameters(sim: Simulator, body: Any, message: str) -> None:
    response = raw(sim, "POST", "/s2s/v2.1/task/skin-analysis", body)
    assert response.status_code == 400
    assert response.json() == {"status": 400, "error": message, "error_code": "InvalidParameters"}


def test_client_maps_invalid_parameters_to_invalid_request(client: PerfectCorpClient) -> None:
    with pytest.raises(InvalidRequest) as caught:
        client.create_task(dst_actions=["wrinkle"], src_file_id="no-such-file")
    assert caught.value.code == ErrorCode.INVALID_REQUEST
    assert caught.value.provider_code == "InvalidParameters"
    assert caught.value.request_id is not None
    assert not caught.value.retryable


def test_client_validates_actions_before_spending_a_call(sim: Simulator, client: PerfectCorpClient) -> None:
    for actions in ([], ["abc123"], ["wrinkle", "hd_pore"]):
        with pytest.raises(InvalidActions):
            client.create_task(dst_actions=actions, src_file_id="x")
    assert SimulatorControl(sim.url).calls("task.create") == 0


def test_strict_mode_rejects_unexpected_keys(make_simulator: MakeSimulator) -> None:
    sim = make_simulator(strict_params=True)
    body = {"src_file_url": "http://x/y.jpg", "dst_actions": ["wrinkle"], "pf_camera_kit": False}
    assert raw(sim, "POST", "/s2s/v2.1/task/skin-analysis", body).status_code == 200
    response = raw(sim, "POST", "/s2s/v2.0/task/skin-analysis", body)
    assert (response.status_code, response.json()["error_code"]) == (400, "BadRequest")


@pytest.mark.parametrize(
    "files",
    [
        [],
        [{"content_type": "image/jpeg", "file_name": "a.jpg"}],
        [{"content_type": "text/plain", "file_name": "a.txt", "file_size": 10}],
        [{"content_type": "image/jpeg", "file_name": "a.jpg", "file_size": 10 * 1024 * 1024 + 1}],
        [{"content_type": "image/jpeg", "file_name": "a.jpg", "file_size": 0}],
    ],
)
def test_file_api_rejects_bad_slots(sim: Simulator, files: list[dict[str, Any]]) -> None:
    response = raw(sim, "POST", "/s2s/v2.0/file", {"files": files})
    assert response.json() == {"status": 400, "error": "Invalid parameter value", "error_code": "InvalidParameters"}


# 400 CreditInsufficiency ---------------------------------------------------------------------------


def test_insufficient_credit(make_simulator: MakeSimulator, make_client: MakeClient) -> None:
    client = make_client(make_simulator(initial_units=8))
    with pytest.raises(InsufficientCredit) as caught:
        client.create_task(dst_actions=["wrinkle"], src_file_id=upload(client))
    assert caught.value.code == ErrorCode.INSUFFICIENT_CREDIT


# 401 ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        (AuthErrorVariant.SPEC, {"status": 401, "error": "Invalid API key"}),
        (
            AuthErrorVariant.INVALID_API_KEY,
            {"status": 401, "error": "This API key is not recognized.", "error_code": "InvalidApiKey"},
        ),
        (
            AuthErrorVariant.INVALID_ACCESS_TOKEN,
            {"status": 401, "error": "Unauthorized", "error_code": "InvalidAccessToken"},
        ),
    ],
)
def test_unknown_keys_get_each_401_variant(
    variant: AuthErrorVariant, expected: dict[str, Any], make_simulator: MakeSimulator, make_client: MakeClient
) -> None:
    sim = make_simulator(auth_error_variant=variant)
    assert raw(sim, "GET", "/s2s/v1.0/client/credit", key="sk-wrong").json() == expected
    with pytest.raises(ProviderAuthError) as caught:
        make_client(sim, api_key="sk-wrong").get_task("x")
    assert caught.value.code == ErrorCode.PROVIDER_AUTH_FAILED


@pytest.mark.parametrize(("key", "code"), [("sk-old", "ExpiredApiKey"), ("sk-off", "InactiveApiKey")])
def test_inactive_and_expired_keys(key: str, code: str, make_simulator: MakeSimulator, make_client: MakeClient) -> None:
    sim = make_simulator(expired_keys=("sk-old",), inactive_keys=("sk-off",))
    with pytest.raises(ProviderAuthError) as caught:
        make_client(sim, api_key=key).credit_balance()
    assert caught.value.provider_code == code


@pytest.mark.parametrize("header", ["sk-sim-test", "Bearer <sk-sim-test>", "Bearer  sk-sim-test", "Basic sk-sim-test"])
def test_malformed_authorization_is_401(sim: Simulator, header: str) -> None:
    response = requests.get(f"{sim.url}/s2s/v1.0/client/credit", headers={"Authorization": header}, timeout=5)
    assert response.status_code == 401


# 429 ------------------------------------------------------------------------------------------------


def test_rate_limit_per_key_without_retry_after(make_simulator: MakeSimulator, make_client: MakeClient) -> None:
    sim = make_simulator(rate_limit=3)
    client = make_client(sim)
    for _ in range(3):
        client.credit_balance()
    with pytest.raises(ProviderRateLimited) as caught:
        client.create_task(dst_actions=["wrinkle"], src_file_url="http://127.0.0.1:9/x.jpg")
    assert caught.value.retryable
    assert caught.value.code == ErrorCode.PROVIDER_UNAVAILABLE
    response = raw(sim, "GET", "/s2s/v1.0/client/credit")
    assert response.status_code == 429
    assert response.json() == {"status": 429, "error": "Too many requests"}
    assert "Retry-After" not in response.headers


def test_rate_limit_per_ip_across_keys(make_simulator: MakeSimulator) -> None:
    sim = make_simulator(rate_limit=2, api_keys=("k1", "k2", "k3"))

    def call(key: str, ip: str) -> int:
        headers = {"Authorization": f"Bearer {key}", "X-Forwarded-For": ip}
        return requests.get(f"{sim.url}/s2s/v1.0/client/credit", headers=headers, timeout=5).status_code

    assert [call("k1", "10.0.0.1"), call("k2", "10.0.0.1"), call("k3", "10.0.0.1")] == [200, 200, 429]
    assert call("k3", "10.0.0.2") == 200
    sim.state.clock.advance(301)
    assert call("k3", "10.0.0.1") == 200


def test_a_scaled_rate_window_admits_again_after_its_own_length(make_simulator: MakeSimulator) -> None:
    # Given a scaled limit of 2 requests per 30 s, used up
    sim = make_simulator(rate_limit=2, rate_window=30.0)
    statuses = [raw(sim, "GET", "/s2s/v1.0/client/credit").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    # When 30 s pass (not 300), then requests are admitted again
    sim.state.clock.advance(31)
    assert raw(sim, "GET", "/s2s/v1.0/client/credit").status_code == 200


# Invalid task ID, task timeout ----------------------------------------------------------------------


def test_unknown_task_is_invalid_task_id(sim: Simulator, client: PerfectCorpClient) -> None:
    assert raw(sim, "GET", "/s2s/v2.1/task/skin-analysis/nope").json() == {"status": 400, "error": "Invalid task ID"}
    with pytest.raises(TaskExpired) as caught:
        client.get_task("nope")
    assert caught.value.code == ErrorCode.TASK_EXPIRED


def test_another_keys_task_is_invalid(make_simulator: MakeSimulator, make_client: MakeClient) -> None:
    sim = make_simulator(api_keys=(API_KEY, "sk-other"))
    task = make_client(sim).create_task(dst_actions=["wrinkle"], src_file_id=upload(make_client(sim)))
    with pytest.raises(TaskExpired):
        make_client(sim, api_key="sk-other").get_task(task.task_id)


def test_task_timeout_is_terminal(sim: Simulator, client: PerfectCorpClient) -> None:
    task = client.create_task(dst_actions=["wrinkle"], src_file_id=upload(client, name="me.sim-task_timeout.jpg"))
    with pytest.raises(ProviderTaskTimeout) as caught:
        finished(client, task.task_id)
    assert not caught.value.retryable
    assert caught.value.status_code == 500
    assert SimulatorControl(sim.url).units_charged() == 0


def test_unpolled_window_expires_and_still_charges(make_simulator: MakeSimulator, make_client: MakeClient) -> None:
    sim = make_simulator(unpolled_window=10.0, delay=30.0, delay_jitter=0.0)
    client = make_client(sim)
    task = client.create_task(dst_actions=["wrinkle"], src_file_id=upload(client))
    assert client.get_task(task.task_id).state is TaskState.RUNNING
    sim.state.clock.advance(60)
    with pytest.raises(TaskExpired):
        client.get_task(task.task_id)
    assert SimulatorControl(sim.url).units_charged() == 9


def test_retention_ends_queries(sim: Simulator, client: PerfectCorpClient) -> None:
    task = client.create_task(dst_actions=["wrinkle"], src_file_id=upload(client))
    finished(client, task.task_id)
    sim.state.clock.advance(86401)
    with pytest.raises(TaskExpired):
        client.get_task(task.task_id)


# Create 500 and transport failures ------------------------------------------------------------------


def test_missing_upload_500_on_create_is_uncertain(make_simulator: MakeSimulator, make_client: MakeClient) -> None:
    client = make_client(make_simulator(missing_upload=MissingUploadMode.CREATE_500))
    slot = client.create_file(content_type="image/jpeg", file_name="a.jpg", file_size=100)
    with pytest.raises(SubmissionUncertain) as caught:
        client.create_task(dst_actions=["wrinkle"], src_file_id=slot.file_id)
    assert caught.value.code == ErrorCode.SUBMISSION_UNCERTAIN
    assert not caught.value.retryable


def test_missing_upload_task_error_by_default(client: PerfectCorpClient) -> None:
    slot = client.create_file(content_type="image/jpeg", file_name="a.jpg", file_size=100)
    status = finished(client, client.create_task(dst_actions=["wrinkle"], src_file_id=slot.file_id).task_id)
    with pytest.raises(AnalysisRejected) as caught:
        status.raise_for_error()
    assert caught.value.code == "unknown_internal_error"


def test_refused_connection_is_a_retryable_unsent_create(make_client: MakeClient, sim: Simulator) -> None:
    client = make_client(sim, base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ProviderUnavailable) as caught:
        client.create_task(dst_actions=["wrinkle"], src_file_url="http://127.0.0.1:9/x.jpg")
    assert caught.value.retryable


def test_dropped_create_answer_is_uncertain_and_the_task_exists(sim: Simulator, client: PerfectCorpClient) -> None:
    sim.state.faults.add(DroppedResponse(routes=frozenset({"task.create"})))
    with pytest.raises(SubmissionUncertain):
        client.create_task(dst_actions=["wrinkle"], src_file_id=upload(client))
    assert len(sim.state.tasks) == 1


def test_slow_create_answer_is_uncertain(sim: Simulator, make_client: MakeClient) -> None:
    client = make_client(sim, timeouts=Timeouts(connect=2, read=0.3, transfer=5))
    sim.state.faults.add(SlowResponse(routes=frozenset({"task.create"}), seconds=1.0))
    with pytest.raises(SubmissionUncertain):
        client.create_task(dst_actions=["wrinkle"], src_file_id=upload(client))


def test_5xx_on_reads_is_retryable(sim: Simulator, client: PerfectCorpClient) -> None:
    sim.state.faults.add(ServerErrors(routes=frozenset({"credit.balance"}), status=503))
    with pytest.raises(ProviderUnavailable) as caught:
        client.credit_balance()
    assert caught.value.retryable
    assert client.credit_balance()


# Engine outcomes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("photo", "name", "actions", "code"),
    [
        (b"not an image at all", "a.jpg", ["wrinkle"], "error_decode_image"),
        (jpeg(600, 800)[:2000], "a.jpg", ["wrinkle"], "error_decode_image"),
        (jpeg(400, 600), "a.jpg", ["wrinkle"], "error_below_min_image_size"),
        (jpeg(1000, 1400), "a.jpg", ["hd_wrinkle"], "error_below_min_image_size"),
        (jpeg(1200, 4200), "a.jpg", ["wrinkle"], "error_exceed_max_image_size"),
        (jpeg(600, 800), "a.sim-error_src_face_too_small.jpg", ["wrinkle"], "error_src_face_too_small"),
        (jpeg(600, 800), "a.sim-error_src_face_out_of_bound.jpg", ["wrinkle"], "error_src_face_out_of_bound"),
        (jpeg(600, 800), "a.sim-error_lighting_dark.jpg", ["wrinkle"], "error_lighting_dark"),
        (jpeg(600, 800), "a.sim-error_no_face.jpg", ["wrinkle"], "error_no_face"),
        (jpeg(600, 800), "a.sim-error_nsfw_content_detected.jpg", ["wrinkle"], "error_nsfw_content_detected"),
        (jpeg(600, 800), "a.sim-error_inference.jpg", ["wrinkle"], "error_inference"),
        (jpeg(400, 600), "a.sim-error_no_face.jpg", ["wrinkle"], "error_below_min_image_size"),
    ],
)
def test_engine_outcomes_in_contract_order(
    *, sim: Simulator, client: PerfectCorpClient, photo: bytes, name: str, actions: list[str], code: str
) -> None:
    slot = client.create_file(content_type="image/jpeg", file_name=name, file_size=len(photo))
    client.upload(slot, photo)
    status = finished(client, client.create_task(dst_actions=actions, src_file_id=slot.file_id).task_id)
    assert (status.state, status.engine_error) == (TaskState.ERROR, code)
    with pytest.raises(AnalysisRejected) as caught:
        status.raise_for_error()
    assert caught.value.code == code
    assert SimulatorControl(sim.url).units_charged() == 0


def test_fixture_by_sha256_and_omitted_error_message(make_simulator: MakeSimulator, make_client: MakeClient) -> None:
    photo = jpeg(600, 800, shade=33)
    sim = make_simulator(fixtures={hashlib.sha256(photo).hexdigest(): "error_no_face"}, omit_error_message=True)
    client = make_client(sim)
    status = finished(client, client.create_task(dst_actions=["wrinkle"], src_file_id=upload(client, photo)).task_id)
    assert (status.engine_error, status.error_message) == ("error_no_face", None)


def test_unreachable_src_file_url_is_download_error(client: PerfectCorpClient, image_host: ImageHost) -> None:
    for url in (image_host.serve("/x", b"")[:-2] + "/missing.jpg", f"http://127.0.0.1:{free_port()}/a.jpg"):
        status = finished(client, client.create_task(dst_actions=["wrinkle"], src_file_url=url).task_id)
        assert status.engine_error == "error_download_image"


def test_oversized_src_file_url_is_download_error(
    make_simulator: MakeSimulator, make_client: MakeClient, image_host: ImageHost
) -> None:
    client = make_client(make_simulator(download_max_bytes=1000))
    url = image_host.serve("/big.jpg", jpeg(600, 800))
    status = finished(client, client.create_task(dst_actions=["wrinkle"], src_file_url=url).task_id)
    assert status.engine_error == "error_download_image"


# Uploads, result URLs, delete ------------------------------------------------------------------------


def test_upload_header_mismatch_and_expiry_are_s3_403(sim: Simulator, client: PerfectCorpClient) -> None:
    photo = jpeg(600, 800)
    slot = client.create_file(content_type="image/jpeg", file_name="a.jpg", file_size=len(photo))
    wrong = requests.put(slot.url, data=photo, headers={"Content-Type": "image/png"}, timeout=5)
    assert wrong.status_code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in wrong.content
    sim.state.clock.advance(3601)
    with pytest.raises(InvalidRequest):
        client.upload(slot, photo)


def test_result_urls_expire_after_two_hours_and_each_get_mints_fresh_ones(
    sim: Simulator, client: PerfectCorpClient
) -> None:
    task = client.create_task(dst_actions=["wrinkle"], src_file_id=upload(client))
    first = finished(client, task.task_id).results
    assert first is not None
    sim.state.clock.advance(7201)
    with pytest.raises(ResultUnavailable):
        client.download(first.scores[0].mask or "")
    fresh = client.get_task(task.task_id).results
    assert fresh is not None
    assert fresh.scores[0].mask != first.scores[0].mask
    assert client.download(fresh.scores[0].mask or "")


def test_delete(make_simulator: MakeSimulator, make_client: MakeClient) -> None:
    sim = make_simulator(delay=30.0, delay_jitter=0.0)
    client = make_client(sim)
    task = client.create_task(dst_actions=["wrinkle"], src_file_id=upload(client))
    # A running task cannot be deleted
    with pytest.raises(InvalidRequest) as caught:
        client.delete_task(task.task_id)
    assert caught.value.provider_code == "OperationInvalid"
    sim.state.clock.advance(31)
    mask = (finished(client, task.task_id).results or pytest.fail("no results")).scores[0].mask or ""
    client.delete_task(task.task_id)
    # After a delete the masks are gone and the task is unknown
    with pytest.raises(ResultUnavailable):
        client.download(mask)
    with pytest.raises(TaskExpired):
        client.delete_task(task.task_id)
    response = raw(sim, "POST", "/s2s/v2.0/task/delete", {})
    assert response.json()["error_code"] == "InvalidParameters"


def test_version_mismatch_is_accepted(sim: Simulator, make_client: MakeClient) -> None:
    v20 = make_client(sim, version=ApiVersion.V2_0)
    task = v20.create_task(dst_actions=["wrinkle"], src_file_id=upload(v20))
    assert finished(make_client(sim), task.task_id).state is TaskState.SUCCESS


def test_counters_and_reset(sim: Simulator, client: PerfectCorpClient) -> None:
    photo = jpeg(600, 800)
    file_id = upload(client, photo)
    for _ in range(2):
        finished(client, client.create_task(dst_actions=["wrinkle"], src_file_id=file_id).task_id)
    control = SimulatorControl(sim.url)
    counters = control.counters()
    assert counters["tasks_by_source"] == {hashlib.sha256(photo).hexdigest(): 2}
    assert control.calls("task.create", API_KEY) == 2
    assert sorted(counters["units_charged"].values()) == [9, 9]
    control.reset()
    assert control.counters()["calls"] == {}
