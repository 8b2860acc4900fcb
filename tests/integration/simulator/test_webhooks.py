"""Webhook delivery (contract §7): body, headers, signatures checked by the official Standard Webhooks library,
secret rotation, retries and backoff, 410, account-wide notifications and endpoints managed at runtime."""

from __future__ import annotations

import base64
import json
import time
from typing import TYPE_CHECKING

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from skin_analysis.provider import ProviderError
from skin_analysis_local.simulator import SimulatorControl, SimulatorControlError
from tests.integration.provider.conftest import jpeg
from tests.integration.simulator.conftest import client_of, deliveries_settled, submit

if TYPE_CHECKING:
    from skin_analysis.provider import PerfectCorpClient
    from skin_analysis_local.simulator import Simulator
    from tests.integration.simulator.conftest import MakeReceiver, MakeSim, Received, Receiver

PADDED_SECRET = "whsec_" + base64.b64encode(b"a 32-byte key for the simulator!").decode()


def verify(secrets: list[str], received: Received) -> object:
    """What a receiver that accepts any of `secrets` does (rotation: old and new); raises if none matches."""
    for secret in secrets:
        try:
            return Webhook(secret).verify(received.body, received.headers)
        except WebhookVerificationError:
            continue
    raise WebhookVerificationError("no secret matched")


def test_delivery_is_the_documented_thin_signed_post(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    # Given a registered endpoint and the simulator's (generated, unpadded) secret
    secret = control.webhooks()["secret"]
    assert secret.startswith("whsec_")
    assert not secret.endswith("=")
    # When a task finishes
    task_id = submit(client)
    (received,) = receiver.wait_for(1)
    # Then the official library verifies it and the body is the minified thin body, signed byte for byte
    payload = verify([secret], received)
    assert isinstance(payload, dict)
    created_at = payload["created_at"]
    assert payload == {"created_at": created_at, "data": {"task_id": task_id, "task_status": "success"}}
    assert received.body == json.dumps(payload, separators=(",", ":")).encode()
    assert received.headers["content-type"] == "application/json"
    assert received.webhook_id == f"msg_{task_id}:{created_at}"
    assert abs(int(received.headers["webhook-timestamp"]) - time.time()) < 5
    assert received.headers["webhook-signature"].startswith("v1,")
    assert received.path == "/hook"
    # And the delivery is counted with its outcome
    (delivery,) = deliveries_settled(control, 1)
    assert delivery["attempts"][0]["status"] == 204
    assert (delivery["outcome"], delivery["task_id"], delivery["webhook_id"]) == (
        "delivered",
        task_id,
        received.webhook_id,
    )


def test_engine_error_is_announced_as_error(
    sim: Simulator, client: PerfectCorpClient, receiver: Receiver, control: SimulatorControl
) -> None:
    task_id = submit(client, name="me.sim-error_no_face.jpg")
    (received,) = receiver.wait_for(1)
    assert verify([control.webhooks()["secret"]], received) == {
        "created_at": json.loads(received.body)["created_at"],
        "data": {"task_id": task_id, "task_status": "error"},
    }


def test_configured_padded_secret_signs(make_sim: MakeSim, receiver: Receiver) -> None:
    sim = make_sim(webhook_urls=(receiver.url(),), webhook_secret=PADDED_SECRET)
    submit(client_of(sim))
    (received,) = receiver.wait_for(1)
    verify([PADDED_SECRET], received)
    with pytest.raises(WebhookVerificationError):
        verify(["whsec_" + base64.b64encode(b"some other key of 32 bytes!!!!!").decode()], received)


def test_rotated_secret_verifies_at_a_receiver_holding_both(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    # Given a receiver that accepts the old secret and, once told, the new one too
    old = control.webhooks()["secret"]
    submit(client)
    before = receiver.wait_for(1)[0]
    # When the secret is rotated
    new = control.rotate_webhook_secret()
    assert new != old
    assert control.webhooks()["secret"] == new
    submit(client)
    after = receiver.wait_for(2)[1]
    # Then deliveries are signed with the new secret: the two-secret receiver accepts both deliveries
    verify([old, new], before)
    verify([old, new], after)
    verify([new], after)
    with pytest.raises(WebhookVerificationError):
        verify([old], after)


def test_rotation_can_sign_with_both_secrets(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    old = control.webhooks()["secret"]
    new = control.rotate_webhook_secret(PADDED_SECRET, sign_with_old=True)
    submit(client)
    (received,) = receiver.wait_for(1)
    # Two space-separated v1 entries: receivers still on the old secret and those already on the new both verify
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    verify([old], received)
    verify([new], received)


def test_failed_attempts_are_retried_with_the_same_id_and_fresh_signatures(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    # Given an endpoint that fails twice
    receiver.answer(500, 503)
    # When a task finishes
    task_id = submit(client)
    received = receiver.wait_for(3)
    # Then it is retried until a 2xx, with the same webhook-id, each attempt signed and verifiable
    assert {r.webhook_id for r in received} == {received[0].webhook_id}
    secret = control.webhooks()["secret"]
    for attempt in received:
        verify([secret], attempt)
    (delivery,) = deliveries_settled(control, 1)
    assert [a["status"] for a in delivery["attempts"]] == [500, 503, 204]
    assert delivery["outcome"] == "delivered"
    # And the waits followed the backoff schedule (0.05 s, then 0.1 s)
    assert received[1].at - received[0].at >= 0.04
    assert received[2].at - received[1].at >= 0.09
    assert control.counters()["webhooks"]["attempt_statuses"] == {"500": 1, "503": 1, "204": 1}
    assert control.webhook_deliveries(task_id) == [delivery]


def test_timeouts_are_retried(make_sim: MakeSim, receiver: Receiver) -> None:
    sim = make_sim(webhook_urls=(receiver.url(),), webhook_timeout=0.2)
    receiver.answer(204, delay=0.5)
    submit(client_of(sim))
    (delivery,) = deliveries_settled(SimulatorControl(sim.url), 1)
    assert [(a["status"], a["error"]) for a in delivery["attempts"]] == [(None, "timeout"), (204, None)]


def test_delivery_gives_up_after_the_schedule(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    receiver.answer(500, 500, 500, 500, 500)
    submit(client)
    (delivery,) = deliveries_settled(control, 1)
    # One attempt plus one retry per configured delay (three)
    assert [a["status"] for a in delivery["attempts"]] == [500, 500, 500, 500]
    assert delivery["outcome"] == "failed"


def test_redirects_are_failures_and_not_followed(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    receiver.answer(307)
    submit(client)
    (delivery,) = deliveries_settled(control, 1)
    assert [a["status"] for a in delivery["attempts"]] == [307, 204]


def test_410_disables_the_endpoint(make_sim: MakeSim, make_receiver: MakeReceiver, receiver: Receiver) -> None:
    # Given two endpoints, the first answering 410 Gone
    other = make_receiver()
    sim = make_sim(webhook_urls=(receiver.url(), other.url()))
    control = SimulatorControl(sim.url)
    receiver.answer(410)
    client = client_of(sim)
    submit(client)
    deliveries_settled(control, 2)
    # Then the first is disabled and gets nothing more; the second keeps receiving
    assert [e["disabled"] for e in control.webhooks()["endpoints"]] == [True, False]
    submit(client)
    other.wait_for(2)
    deliveries_settled(control, 3)
    assert len(receiver.received) == 1
    outcomes = sorted(d["outcome"] for d in control.webhook_deliveries())
    assert outcomes == ["delivered", "delivered", "disabled"]
    # And registering it again re-enables it
    control.set_webhooks(urls=[receiver.url(), other.url()])
    assert [e["disabled"] for e in control.webhooks()["endpoints"]] == [False, False]


def test_foreign_tasks_notify_too(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    # Given a task made by another key of the account
    task_id = control.run_foreign_task(api_key="sk-other-team")
    failed_id = control.run_foreign_task(api_key="sk-other-team", error="error_lighting_dark")
    # Then every endpoint hears about both, signed like the rest
    received = receiver.wait_for(2)
    statuses = {json.loads(r.body)["data"]["task_id"]: json.loads(r.body)["data"]["task_status"] for r in received}
    assert statuses == {task_id: "success", failed_id: "error"}
    for item in received:
        verify([control.webhooks()["secret"]], item)
    # And our key cannot read it (another key's task), while the other key is charged for its success
    with pytest.raises(ProviderError):
        client.get_task(task_id)
    assert control.units_charged("sk-other-team") > 0
    assert control.units_charged("sk-sim-test") == 0
    assert {d["api_key"] for d in deliveries_settled(control, 2)} == {"sk-other-team"}


def test_foreign_task_with_a_delay_notifies_when_it_finishes(
    sim: Simulator, control: SimulatorControl, receiver: Receiver
) -> None:
    started = time.monotonic()
    control.run_foreign_task(delay=0.4)
    (received,) = receiver.wait_for(1)
    assert received.at - started >= 0.35


def test_endpoints_and_secret_come_from_the_control_api(
    make_sim: MakeSim, make_receiver: MakeReceiver, receiver: Receiver
) -> None:
    # Given a simulator started with no endpoint
    sim = make_sim()
    control = SimulatorControl(sim.url)
    client = client_of(sim)
    submit(client)
    time.sleep(0.2)
    assert control.webhook_deliveries() == []
    # When two endpoints and a secret are registered at runtime
    other = make_receiver()
    view = control.set_webhooks(urls=[receiver.url(), other.url("/second")], secret=PADDED_SECRET)
    assert [e["url"] for e in view["endpoints"]] == [receiver.url(), other.url("/second")]
    submit(client)
    # Then both receive it, signed with that secret
    verify([PADDED_SECRET], receiver.wait_for(1)[0])
    verify([PADDED_SECRET], other.wait_for(1)[0])
    # And an endpoint added later, or a replaced list, takes effect for the next task
    control.set_webhooks(urls=[other.url("/second")])
    submit(client)
    other.wait_for(2)
    deliveries_settled(control, 3)
    assert len(receiver.received) == 1


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"urls": [f"http://127.0.0.1:9/{i}" for i in range(11)]}, "at most 10"),
        ({"urls": ["ftp://example.com/hook"]}, "must be an http or https URL"),
        ({"secret": "not-a-whsec"}, "whsec_"),
        ({"secret": "whsec_!!!"}, "whsec_"),
        ({"extra_secrets": ["whsec_"]}, "whsec_"),
    ],
)
def test_bad_webhook_settings_are_refused(control: SimulatorControl, settings: dict[str, object], message: str) -> None:
    with pytest.raises(SimulatorControlError, match=message):
        control.set_webhooks(**settings)  # type: ignore[arg-type]


def test_https_only_when_required(make_sim: MakeSim) -> None:
    control = SimulatorControl(make_sim(webhook_require_https=True).url)
    with pytest.raises(SimulatorControlError, match="https URL"):
        control.add_webhook_endpoint("http://127.0.0.1:9/hook")
    control.add_webhook_endpoint("https://hooks.example.com/perfect")
    assert control.webhooks()["endpoints"] == [{"url": "https://hooks.example.com/perfect", "disabled": False}]


def test_a_hanging_receiver_never_blocks_the_api(make_sim: MakeSim, receiver: Receiver) -> None:
    # Given an endpoint that takes 2 s to answer every delivery
    sim = make_sim(webhook_urls=(receiver.url(),), webhook_timeout=5.0)
    receiver.answer(*[204] * 10, delay=2.0)
    client = client_of(sim, read_timeout=0.5)
    # When tasks finish and are polled, API answers stay fast (the client's read timeout is 0.5 s)
    started = time.monotonic()
    task_ids = [submit(client, jpeg(600, 800, shade=shade)) for shade in (10, 20, 30)]
    for task_id in task_ids:
        client.get_task(task_id)
    assert time.monotonic() - started < 1.5
    receiver.wait_for(3, timeout=5)


def test_reset_restores_the_startup_endpoints_and_secret(
    sim: Simulator, control: SimulatorControl, receiver: Receiver
) -> None:
    startup = control.webhooks()
    control.set_webhooks(urls=[], secret=PADDED_SECRET)
    control.reset()
    assert control.webhooks() == startup


def test_advancing_the_simulated_clock_keeps_webhooks_verifiable(
    sim: Simulator, control: SimulatorControl, client: PerfectCorpClient, receiver: Receiver
) -> None:
    # Given a task that runs an hour of simulated time
    control.configure(delay=3600, delay_jitter=0)
    task_id = submit(client)
    # When the simulated clock jumps past it
    control.advance_clock(3601)
    (received,) = receiver.wait_for(1)
    # Then created_at is the simulated completion, yet the receiver's 5-minute tolerance still accepts it
    payload = verify([control.webhooks()["secret"]], received)
    assert isinstance(payload, dict)
    assert payload["data"]["task_id"] == task_id
    assert payload["created_at"] >= time.time() + 3500
