"""One test per fault of the control API, each proving the fault happens as configured (and only then)."""

from __future__ import annotations

import hashlib
import json
import time
from typing import TYPE_CHECKING

import pytest
import requests
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from skin_analysis.provider import (
    ProviderRateLimited,
    ProviderUnavailable,
    SubmissionUncertain,
    TaskExpired,
    TaskState,
)
from skin_analysis_local.simulator import SimulatorControlError
from tests.helpers import wait_until
from tests.integration.provider.conftest import API_KEY, jpeg
from tests.integration.simulator.conftest import client_of, deliveries_settled, submit

if TYPE_CHECKING:
    from skin_analysis.provider import PerfectCorpClient, TaskStatus
    from skin_analysis_local.simulator import Simulator, SimulatorControl
    from tests.integration.simulator.conftest import MakeSim, Received, Receiver

TASK_PATH = "/s2s/v2.1/task/skin-analysis"


def finished(client: PerfectCorpClient, task_id: str) -> TaskStatus:
    """Poll until terminal (SLA: a zero-delay simulator finishes well under 5 s)."""

    def terminal() -> TaskStatus | None:
        status = client.get_task(task_id)
        return status if status.state is not TaskState.RUNNING else None

    return wait_until(terminal, 5, what=f"task {task_id} finished")


def first_mask(status: TaskStatus) -> str:
    assert status.results is not None
    mask = status.results.scores[0].mask
    assert mask is not None
    return mask


def get(sim: Simulator, path: str) -> requests.Response:
    return requests.get(f"{sim.url}{path}", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=5)


def task_ids_of(received: list[Received]) -> list[str]:
    return [json.loads(r.body)["data"]["task_id"] for r in received]


# Answer faults --------------------------------------------------------------------------------------


def test_5xx_burst_on_one_endpoint(sim: Simulator, control: SimulatorControl, client: PerfectCorpClient) -> None:
    # Given two 502s armed on the status GET only
    task_id = submit(client)
    control.server_errors(["task.status"], times=2, status=502)
    # Then the next two status GETs answer 502 while other endpoints answer normally; the third GET is fine
    for _ in range(2):
        assert get(sim, f"{TASK_PATH}/{task_id}").status_code == 502
        assert client.credit_balance()
    assert finished(client, task_id).state is TaskState.SUCCESS
    assert control.faults() == []
    assert control.calls("task.status", API_KEY) >= 3


def test_5xx_after_processing_still_makes_the_task(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    control.server_errors(["task.create"], status=500, after_processing=True)
    with pytest.raises(SubmissionUncertain):
        submit(client)
    # The task was made and runs: its webhook arrives although the create answered 500
    (received,) = receiver.wait_for(1)
    assert task_ids_of([received]) == list(sim.state.tasks)


def test_429_storm(sim: Simulator, control: SimulatorControl, client: PerfectCorpClient) -> None:
    control.rate_limit_storm(times=3)
    for _ in range(3):
        response = get(sim, "/s2s/v1.0/client/credit")
        assert (response.status_code, response.json()) == (429, {"status": 429, "error": "Too many requests"})
        assert "Retry-After" not in response.headers
    assert client.credit_balance()


def test_429_storm_on_creates_only(sim: Simulator, control: SimulatorControl, client: PerfectCorpClient) -> None:
    control.rate_limit_storm(["task.create"], times=None)
    file_id = client.upload_file(jpeg(600, 800), content_type="image/jpeg", file_name="me.jpg")
    for _ in range(3):
        with pytest.raises(ProviderRateLimited):
            client.create_task(dst_actions=["wrinkle"], src_file_id=file_id)
    control.clear_faults()
    assert client.create_task(dst_actions=["wrinkle"], src_file_id=file_id).task_id
    assert control.calls("task.create") == 4


def test_slow_response_past_the_client_timeout(sim: Simulator, control: SimulatorControl) -> None:
    # Given a client that waits 0.3 s for an answer and a 1 s slow-down on the status GET
    impatient = client_of(sim, read_timeout=0.3)
    task_id = submit(impatient)
    control.slow_responses(["task.status"], seconds=1.0)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        impatient.get_task(task_id)
    assert time.monotonic() - started < 0.9
    # And the next GET is fast again
    assert finished(impatient, task_id).state is TaskState.SUCCESS


def test_create_made_but_answer_dropped(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    # Given the next create's answer is dropped
    control.drop_responses()
    photo = jpeg(600, 800, shade=77)
    # When a task is submitted, the client cannot know whether it exists
    with pytest.raises(SubmissionUncertain):
        submit(client, photo)
    # Then the task was made, is charged, counted against its photo and announced by webhook
    (received,) = receiver.wait_for(1)
    (task_id,) = task_ids_of([received])
    assert json.loads(received.body)["data"]["task_status"] == "success"
    assert control.tasks_by_source() == {hashlib.sha256(photo).hexdigest(): 1}
    assert control.calls("task.create") == 1
    assert list(control.counters()["units_charged"]) == [task_id]


# Webhook faults -------------------------------------------------------------------------------------


def test_lost_webhook(sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver) -> None:
    control.lose_webhooks(times=1)
    lost, kept = submit(client), None
    wait_until(lambda: control.webhook_deliveries(lost), 5)
    kept = submit(client)
    assert task_ids_of(receiver.wait_for(1)) == [kept]
    deliveries_settled(control, 2)
    time.sleep(0.2)
    assert len(receiver.received) == 1
    assert [d["outcome"] for d in control.webhook_deliveries(lost)] == ["lost"]
    assert control.counters()["webhooks"]["outcomes"] == {"lost": 1, "delivered": 1}


def test_duplicated_webhook(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    control.duplicate_webhooks(copies=3)
    task_id = submit(client)
    received = receiver.wait_for(3)
    assert task_ids_of(received) == [task_id] * 3
    assert len({r.webhook_id for r in received}) == 1
    assert len({r.body for r in received}) == 1
    assert sorted(d["copy"] for d in deliveries_settled(control, 3)) == [0, 1, 2]


def test_delayed_webhook(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    # Given the next notification is held 0.6 s
    control.delay_webhooks(0.6)
    started = time.monotonic()
    slow_task = submit(client)
    wait_until(lambda: control.webhook_deliveries(slow_task), 5)
    # When another task finishes meanwhile, its webhook overtakes the delayed one
    fast_task = submit(client)
    received = receiver.wait_for(2)
    assert task_ids_of(received) == [fast_task, slow_task]
    assert received[1].at - started >= 0.6


def test_reordered_webhooks(sim: Simulator, control: SimulatorControl, receiver: Receiver) -> None:
    # Given the next three notifications are reordered
    control.reorder_webhooks(count=3)
    ordered = []
    for _ in range(3):
        ordered.append(control.run_foreign_task())
        wait_until(lambda: control.webhook_deliveries(ordered[-1]), 5)
    # Then they arrive newest first, and the next one is not held
    assert task_ids_of(receiver.wait_for(3)) == ordered[::-1]
    later = control.run_foreign_task()
    assert task_ids_of(receiver.wait_for(4))[3] == later


def test_reordered_webhooks_are_released_after_max_hold(
    sim: Simulator, control: SimulatorControl, receiver: Receiver
) -> None:
    control.reorder_webhooks(count=5, max_hold=0.8)
    first, second = control.run_foreign_task(), None
    wait_until(lambda: control.webhook_deliveries(first), 5)
    second = control.run_foreign_task()
    assert task_ids_of(receiver.wait_for(2)) == [second, first]


def test_webhook_before_the_create_answer(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    control.webhook_before_response()
    file_id = client.upload_file(jpeg(600, 800), content_type="image/jpeg", file_name="me.jpg")
    # When the create returns, the webhook for its task has already been received
    task_id = client.create_task(dst_actions=["wrinkle"], src_file_id=file_id).task_id
    answered = time.monotonic()
    assert len(receiver.received) == 1
    (received,) = receiver.received
    assert received.at < answered
    assert task_ids_of([received]) == [task_id]
    # And the task is already finished
    assert client.get_task(task_id).state is TaskState.SUCCESS
    # And the next create behaves normally (its webhook comes after its answer)
    second = submit(client)
    assert task_ids_of(receiver.wait_for(2))[1] == second


def test_stale_webhook_timestamp(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    control.skew_webhook_timestamps(-600)
    submit(client)
    (received,) = receiver.wait_for(1)
    assert int(received.headers["webhook-timestamp"]) < time.time() - 590
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(control.webhooks()["secret"]).verify(received.body, received.headers)


def test_tampered_webhook(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    control.tamper_webhooks()
    submit(client)
    (received,) = receiver.wait_for(1)
    assert json.loads(received.body)["data"]["task_status"] == "error"  # the task succeeded
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(control.webhooks()["secret"]).verify(received.body, received.headers)


# Engine outcomes, expiry, clock ---------------------------------------------------------------------


def test_engine_error_by_image_hash(sim: Simulator, control: SimulatorControl, client: PerfectCorpClient) -> None:
    flagged, plain = jpeg(600, 800, shade=11), jpeg(600, 800, shade=12)
    control.engine_error("error_src_face_out_of_bound", sha256=hashlib.sha256(flagged).hexdigest())
    assert finished(client, submit(client, flagged)).engine_error == "error_src_face_out_of_bound"
    assert finished(client, submit(client, plain)).state is TaskState.SUCCESS
    assert control.units_charged() == 9


def test_engine_error_by_file_id(sim: Simulator, control: SimulatorControl, client: PerfectCorpClient) -> None:
    photo = jpeg(600, 800)
    flagged = client.upload_file(photo, content_type="image/jpeg", file_name="a.jpg")
    plain = client.upload_file(photo, content_type="image/jpeg", file_name="b.jpg")
    control.engine_error("task_timeout", file_id=flagged)
    status = finished(client, client.create_task(dst_actions=["wrinkle"], src_file_id=plain).task_id)
    assert status.state is TaskState.SUCCESS
    task_id = client.create_task(dst_actions=["wrinkle"], src_file_id=flagged).task_id
    wait_until(lambda: get(sim, f"{TASK_PATH}/{task_id}").status_code == 500, 5)
    assert get(sim, f"{TASK_PATH}/{task_id}").json() == {"status": 500, "error": "Task execution timed out"}
    control.clear_fixtures()
    assert control.counters()["tasks_by_source"] == {hashlib.sha256(photo).hexdigest(): 2}


def test_unpolled_window_expiry_still_charges(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient
) -> None:
    # Given a 30 s unpolled window and tasks that run 60 s
    control.configure(unpolled_window=30, delay=60, delay_jitter=0)
    task_id = submit(client)
    assert client.get_task(task_id).state is TaskState.RUNNING
    # When nobody polls for 61 simulated seconds
    control.advance_clock(61)
    # Then the task is gone for the client, yet its success was charged (the documented trap)
    with pytest.raises(TaskExpired):
        client.get_task(task_id)
    assert control.units_charged() == 9


def test_polled_task_survives_the_window(sim: Simulator, control: SimulatorControl, client: PerfectCorpClient) -> None:
    control.set_unpolled_window(30)
    control.configure(delay=50, delay_jitter=0)
    task_id = submit(client)
    for _ in range(2):
        control.advance_clock(20)
        assert client.get_task(task_id).state is TaskState.RUNNING
    control.advance_clock(11)
    assert client.get_task(task_id).state is TaskState.SUCCESS


def test_expire_one_task(sim: Simulator, control: SimulatorControl, client: PerfectCorpClient) -> None:
    task_id = submit(client)
    assert finished(client, task_id).state is TaskState.SUCCESS
    control.expire_task(task_id)
    with pytest.raises(TaskExpired):
        client.get_task(task_id)
    with pytest.raises(requests.HTTPError):
        control.expire_task("no-such-task")


def test_result_url_expiry(sim: Simulator, control: SimulatorControl, client: PerfectCorpClient) -> None:
    # Given a finished task whose result URLs work
    task_id = submit(client)
    status = finished(client, task_id)
    mask = first_mask(status)
    assert requests.get(mask, timeout=5).status_code == 200
    # When its URLs are expired
    assert control.expire_result_urls(task_id) >= 1
    # Then they answer S3's 403, and a fresh status GET mints working ones
    expired = requests.get(mask, timeout=5)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code>" in expired.text
    fresh = first_mask(finished(client, task_id))
    assert requests.get(fresh, timeout=5).status_code == 200


def test_clock_advance_expires_result_urls(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient
) -> None:
    status = finished(client, submit(client))
    mask = first_mask(status)
    before = control.now()
    assert control.advance_clock(7201) >= before + 7201
    assert requests.get(mask, timeout=5).status_code == 403


def test_bad_control_requests_are_refused(control: SimulatorControl) -> None:
    with pytest.raises(SimulatorControlError, match="unknown fault kind"):
        control.add_fault("meteor")
    with pytest.raises(SimulatorControlError, match="routes must be"):
        control.server_errors(["task.nope"])
    with pytest.raises(SimulatorControlError, match="cannot change after start"):
        control.configure(api_keys=["x"])
    with pytest.raises(SimulatorControlError, match="unknown simulator setting"):
        control.configure(nope=1)
    with pytest.raises(SimulatorControlError, match="advance must be"):
        control.advance_clock(-1)
    with pytest.raises(SimulatorControlError, match="dst_actions"):
        control.run_foreign_task(dst_actions=["wrinkle", "hd_pore"])


def test_reset_clears_faults_fixtures_and_settings(
    make_sim: MakeSim, receiver: Receiver, control: SimulatorControl
) -> None:
    control.server_errors(["task.create"], times=None)
    control.lose_webhooks(times=None)
    control.engine_error("error_no_face", sha256="ab" * 32)
    control.configure(unpolled_window=5)
    control.reset()
    assert control.faults() == []
    assert control.config()["unpolled_window"] is None
    assert control.counters()["webhooks"]["deliveries"] == []
