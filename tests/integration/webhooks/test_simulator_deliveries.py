"""Webhooks as the provider simulator delivers them (signed, retried, faulted) through a proxy to the handler."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import pytest

from skin_analysis.models import AnalysisStatus, TaskIndexEntry, transition
from skin_analysis_local.simulator import Simulator, SimulatorConfig
from skin_analysis_local.simulator.control import SimulatorControl
from tests.helpers import wait_until
from tests.integration.webhooks.conftest import WebhookContext
from tests.integration.webhooks.gateway import WebhookGateway
from tests.integration.webhooks.metrics import emitted_metrics
from tests.unit.webhooks.signing import new_secret

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.integration.webhooks.conftest import WebhookStack


@pytest.fixture(scope="module")
def simulator(webhook_stack: WebhookStack) -> Iterator[SimulatorControl]:
    """The simulator delivering to the handler behind a proxy, signing with the stack's current secret."""
    with WebhookGateway(webhook_stack.handler(), WebhookContext()) as gateway:
        config = SimulatorConfig(delay=0.0, webhook_urls=(gateway.url,), webhook_secret=webhook_stack.current_secret)
        with Simulator(config) as sim:
            yield SimulatorControl(sim.url)


@pytest.fixture(autouse=True)
def _fresh_simulator(simulator: SimulatorControl) -> None:
    simulator.reset()


def _waiting_analysis(stack: WebhookStack, task_id: str) -> tuple[str, str]:
    """An analysis submitted as `task_id`, its execution waiting with the token stored; (analysis id, arn)."""
    analysis_id = stack.queued_analysis()
    transition(analysis_id, AnalysisStatus.SUBMITTED, {"task_id": task_id})
    TaskIndexEntry(task_id, analysis_id=analysis_id).save()
    arn = stack.start_wait(analysis_id, delay_seconds=60)
    stack.token_stored(analysis_id)
    return analysis_id, arn


def _attempts(simulator: SimulatorControl, task_id: str, count: int = 1) -> list[dict[str, Any]]:
    """The delivery attempts for a task, once there are at least `count`."""

    def made() -> list[dict[str, Any]] | None:
        attempts = [a for d in simulator.webhook_deliveries(task_id) for a in d["attempts"]]
        return attempts if len(attempts) >= count else None

    return wait_until(made, timeout=10, what=f"{count} webhook attempt(s) for {task_id}")


def test_a_finished_task_wakes_its_waiting_analysis(webhook_stack: WebhookStack, simulator: SimulatorControl) -> None:
    # Given an analysis waiting for the provider task, which runs for two seconds
    task_id = simulator.run_foreign_task(delay=2.0)
    analysis_id, arn = _waiting_analysis(webhook_stack, task_id)

    # When the task finishes, the provider notifies us
    execution = webhook_stack.finished(arn, timeout=10)

    # Then the wait completed through its token long before its 60 s delay, after one delivered attempt
    assert execution["status"] == "SUCCEEDED"
    assert "woken_by" not in json.loads(execution["output"])
    # (the execution can resume before the handler's answer reaches the simulator)
    assert [attempt["status"] for attempt in _attempts(simulator, task_id)] == [HTTPStatus.OK]
    [delivery] = simulator.webhook_deliveries(task_id)
    assert delivery["outcome"] == "delivered"
    assert webhook_stack.item(analysis_id).webhook_at is not None


def test_a_foreign_task_is_acknowledged_as_an_orphan(simulator: SimulatorControl) -> None:
    task_id = simulator.run_foreign_task()
    assert [attempt["status"] for attempt in _attempts(simulator, task_id)] == [HTTPStatus.OK]
    wait_until(lambda: simulator.webhook_deliveries(task_id)[0]["outcome"] == "delivered", timeout=5)


def test_duplicated_deliveries_wake_once(
    webhook_stack: WebhookStack, simulator: SimulatorControl, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the provider sends every notification three times with the same webhook-id
    simulator.duplicate_webhooks(copies=3)
    task_id = simulator.run_foreign_task(delay=2.0)
    _, arn = _waiting_analysis(webhook_stack, task_id)
    capsys.readouterr()

    # When the task finishes
    assert webhook_stack.finished(arn)["status"] == "SUCCEEDED"

    # Then every copy is acknowledged, and only the first one woke the execution
    def all_delivered() -> bool:
        deliveries = simulator.webhook_deliveries(task_id)
        return len(deliveries) == 3 and all(d["outcome"] == "delivered" for d in deliveries)

    wait_until(all_delivered, timeout=10, what="three delivered copies")
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["WebhookWakeUps"] == 1
    assert metrics["WebhookDuplicates"] >= 2


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("tamper", "invalid_signature"), ("stale", "stale"), ("future", "from_the_future")],
)
def test_faulted_deliveries_are_refused_and_change_nothing(
    webhook_stack: WebhookStack,
    simulator: SimulatorControl,
    capsys: pytest.CaptureFixture[str],
    fault: str,
    reason: str,
) -> None:
    # Given a delivery the simulator tampers with or stamps outside the tolerance
    if fault == "tamper":
        simulator.tamper_webhooks()
    else:
        simulator.skew_webhook_timestamps(-600 if fault == "stale" else 600)
    task_id = simulator.run_foreign_task(delay=2.0)
    analysis_id, arn = _waiting_analysis(webhook_stack, task_id)

    # When it arrives
    [first, *_] = _attempts(simulator, task_id)

    # Then it is refused with 401 and the analysis keeps waiting on its token
    assert first["status"] == HTTPStatus.UNAUTHORIZED
    item = webhook_stack.item(analysis_id)
    assert item.webhook_at is None
    assert item.task_token is not None
    assert webhook_stack.status(arn) == "RUNNING"
    assert emitted_metrics(capsys.readouterr().out)[f"WebhooksRejected[reason={reason}]"] >= 1
    simulator.reset()  # stop the retries
    webhook_stack.sfn.stop_execution(executionArn=arn)


def test_a_sender_rotating_first_still_verifies_with_our_current_secret(
    webhook_stack: WebhookStack, simulator: SimulatorControl
) -> None:
    # The provider rotates and signs with the new and the old secret while we still only know the old one
    simulator.rotate_webhook_secret(new_secret(), sign_with_old=True)
    task_id = simulator.run_foreign_task()
    assert [attempt["status"] for attempt in _attempts(simulator, task_id)] == [HTTPStatus.OK]


def test_after_the_sender_dropped_our_secret_deliveries_fail(simulator: SimulatorControl) -> None:
    simulator.rotate_webhook_secret(new_secret(), sign_with_old=False)
    task_id = simulator.run_foreign_task()
    assert _attempts(simulator, task_id)[0]["status"] == HTTPStatus.UNAUTHORIZED
