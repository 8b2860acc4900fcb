"""Chaos on the webhook path: a secret rotation mid-run, and lost, duplicated, reordered, early, stale, tampered,
forged and lying notifications (late ones race the poll in tests/e2e/test_chaos_races.py).

Each simulator fault acts on the next notification (one task's terminal transition), so faults meant for
different notifications are armed one upload at a time. Forged and stale deliveries are posted by the test itself
for tasks in flight. The invariants of tests/e2e/invariants.py hold after each scenario; the simulator is restored
in a finally.
"""

from __future__ import annotations

import hashlib
import json
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.e2e.invariants import assert_invariants
from tests.e2e.pipeline import Pipeline, plain_jpeg
from tests.helpers import wait_until
from tests.unit.webhooks.signing import new_secret, notification_body, signed_headers

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import boto3

pytestmark = [pytest.mark.chaos, pytest.mark.usefixtures("simulator_restored")]


@pytest.fixture(scope="module")
def pipeline(aws: boto3.Session, local_stack: dict[str, Any]) -> Iterator[Pipeline]:
    observed = Pipeline.observe(aws, local_stack)
    endpoints = [endpoint["url"] for endpoint in observed.simulator.webhooks()["endpoints"]]
    observed.simulator.set_webhooks(urls=[local_stack["webhook_url"]])
    try:
        yield observed
    finally:
        observed.simulator.set_webhooks(urls=endpoints)


def _notified(pipeline: Pipeline, analysis_id: str) -> bool:
    """The analysis's task settled at the provider, so its notification took the faults armed for it."""
    item = pipeline.item(analysis_id) or {}
    return "task_id" in item and bool(pipeline.simulator.webhook_deliveries(item["task_id"]["S"]))


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    answer = requests.post(url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=10)
    return answer.status_code


def test_a_secret_rotation_mid_run_loses_no_notification(
    pipeline: Pipeline, aws: boto3.Session, local_stack: dict[str, Any], stack_outputs: dict[str, str]
) -> None:
    # Runs first in this module: the forged deliveries below force secret re-reads, which are rate limited
    secrets = aws.client("secretsmanager", endpoint_url=local_stack["aws_endpoint"])
    secret_id = stack_outputs["WebhookSecretArn"]
    original = secrets.get_secret_value(SecretId=secret_id)["SecretString"]
    old, new = json.loads(original)["current"], new_secret()
    # A warm environment re-reads the secret at most once per 30 s (docs/webhooks.md): one that read it just
    # before the rotation refuses the new signature until then. The provider's retries cover that; here they
    # come every second, so "accepted in the end" is decided within the test.
    retry_delays = pipeline.simulator.config()["webhook_retry_delays"]
    pipeline.simulator.configure(webhook_retry_delays=[100.0] * 40)
    try:
        # Given analyses in flight when the operator stores the new secret beside the old one (README recipe)
        # and the provider then signs with the new one only
        ids = [pipeline.upload(plain_jpeg((960, 720))) for _ in range(2)]
        secrets.put_secret_value(SecretId=secret_id, SecretString=json.dumps({"current": new, "previous": old}))
        pipeline.simulator.rotate_webhook_secret(new)
        ids += [pipeline.upload(plain_jpeg((960, 720))) for _ in range(2)]
        # Then every analysis ends once, and every notification, old or new secret, is accepted in the end
        outcomes = assert_invariants(pipeline, ids, machine_arn=stack_outputs["StateMachineArn"])
        assert [outcome.status for outcome in outcomes.values()] == ["SUCCEEDED"] * 4
        tasks = [outcome.item["task_id"]["S"] for outcome in outcomes.values()]

        def delivered() -> bool:
            deliveries = [d for task in tasks for d in pipeline.simulator.webhook_deliveries(task)]
            return bool(deliveries) and all(d["outcome"] == "delivered" for d in deliveries)

        wait_until(delivered, 40, interval=0.5, what="every notification to be accepted")
    finally:
        secrets.put_secret_value(SecretId=secret_id, SecretString=original)
        pipeline.simulator.set_webhooks(secret=old)
        pipeline.simulator.configure(webhook_retry_delays=retry_delays)


def _armed_one_upload_at_a_time(pipeline: Pipeline, faults: list[list[Callable[[], None]]]) -> list[str]:
    """One upload per group of faults, armed once the previous upload's notification took its own."""
    ids = []
    for group in faults:
        for arm in group:
            arm()
        ids.append(pipeline.upload(plain_jpeg((960, 720))))
        wait_until(lambda: _notified(pipeline, ids[-1]), 60, interval=0.1, what="the notification")
    return ids


def test_faulty_notifications_complete_each_analysis_once(
    pipeline: Pipeline, local_stack: dict[str, Any], stack_outputs: dict[str, str]
) -> None:
    simulator = pipeline.simulator
    # Given, one upload at a time: a notification lost; one sent three times before the create's answer (the
    # task id is not recorded yet); one both stale and tampered (401, retried, then the poll decides)
    ids = _armed_one_upload_at_a_time(
        pipeline,
        [
            [lambda: simulator.lose_webhooks(times=1)],
            [simulator.webhook_before_response, lambda: simulator.duplicate_webhooks(copies=3)],
            [lambda: simulator.skew_webhook_timestamps(seconds=-600), simulator.tamper_webhooks],
        ],
    )
    # And two more held back and delivered newest first
    simulator.reorder_webhooks(count=2, max_hold=5)
    ids += [pipeline.upload(plain_jpeg((960, 720))) for _ in range(2)]
    # Then every analysis succeeds, stored and announced exactly once
    outcomes = assert_invariants(pipeline, ids, machine_arn=stack_outputs["StateMachineArn"])
    assert [outcome.status for outcome in outcomes.values()] == ["SUCCEEDED"] * len(ids)


def test_forged_stale_and_lying_notifications_never_decide_an_outcome(
    pipeline: Pipeline, local_stack: dict[str, Any], stack_outputs: dict[str, str]
) -> None:
    # Given a photo the provider's engine will reject, and a healthy one, both in flight
    rejected = plain_jpeg((960, 720))
    pipeline.simulator.engine_error("error_no_face", sha256=hashlib.sha256(rejected).hexdigest())
    doomed, healthy = pipeline.upload(rejected), pipeline.upload(plain_jpeg((960, 720)))
    doomed_task, healthy_task = pipeline.wait_for_task(doomed), pipeline.wait_for_task(healthy)
    url, secret = local_stack["webhook_url"], local_stack["webhook_secret"]
    # When forged (another secret) and stale (10 minutes old) deliveries claim the doomed task succeeded and the
    # healthy one failed, and a correctly signed one says the doomed task succeeded
    success, error = notification_body(doomed_task), notification_body(healthy_task, status="error")
    answers = [
        _post(url, success, signed_headers(success, new_secret())),
        _post(url, error, signed_headers(error, new_secret())),
        _post(url, success, signed_headers(success, secret, timestamp=int(time.time()) - 600)),
        _post(url, error, signed_headers(error, secret, timestamp=int(time.time()) - 600)),
    ]
    lie = _post(url, success, signed_headers(success, secret))
    # Then the unverified ones are 401, and the provider's status read, not any notification, decides
    assert answers == [HTTPStatus.UNAUTHORIZED] * 4
    assert lie == HTTPStatus.OK
    outcomes = assert_invariants(pipeline, [doomed, healthy], machine_arn=stack_outputs["StateMachineArn"])
    assert (outcomes[doomed].status, outcomes[doomed].error_code) == ("FAILED", "error_no_face")
    assert outcomes[healthy].status == "SUCCEEDED"
