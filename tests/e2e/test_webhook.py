"""Webhooks on the local stack: signed deliveries from the simulator wake waiting analyses; bad ones change nothing.

The session's stack (tests/e2e/conftest.py) has a 2 s webhook grace, 1 s tasks and a budget of 20 requests per
10 s. The grace-period acceptance needs a long grace, so it gets a stack of its own with a 30 s grace.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import requests

from skin_analysis_local.stack.records import LOGS_DIR
from tests.e2e.pipeline import Pipeline, plain_jpeg
from tests.e2e.stack import RunningStack, start_local_stack
from tests.helpers import wait_until
from tests.integration.webhooks.metrics import emitted_metrics
from tests.unit.webhooks.signing import new_secret, notification_body, signed_headers

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

HEALTHY_ANALYSES = 20
COMPLETED = "Skin Analysis Completed"


def _webhooks_on(pipeline: Pipeline, webhook_url: str) -> list[str]:
    """Register the stack's webhook route with the simulator (only it); the endpoints that were registered."""
    before = [endpoint["url"] for endpoint in pipeline.simulator.webhooks()["endpoints"]]
    pipeline.simulator.set_webhooks(urls=[webhook_url])
    return before


@pytest.fixture(scope="module")
def pipeline(aws: boto3.Session, local_stack: dict[str, Any]) -> Iterator[Pipeline]:
    """The session's stack with the simulator delivering webhooks to it."""
    observed = Pipeline.observe(aws, local_stack)
    before = _webhooks_on(observed, local_stack["webhook_url"])
    yield observed
    observed.simulator.set_webhooks(urls=before)


@pytest.fixture(autouse=True)
def _no_leftover_faults(pipeline: Pipeline) -> Iterator[None]:
    yield
    pipeline.simulator.clear_faults()
    pipeline.simulator.clear_fixtures()


def _total_calls(counters: dict[str, Any]) -> int:
    return sum(sum(per_key.values()) for per_key in counters["calls"].values())


def _states_entered(history: list[dict[str, Any]]) -> list[str]:
    return [event["stateEnteredEventDetails"]["name"] for event in history if event["type"].endswith("StateEntered")]


def _wait_ended_by_timeout(history: list[dict[str, Any]]) -> bool:
    return any(event["type"] == "TaskTimedOut" for event in history)


def _post(url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=10)


LONG_GRACE_SETTINGS = (
    *("--param", "WebhookGraceSeconds=30"),
    *("--param", "PollInitialDelaySeconds=1"),
    *("--param", "PollMaxDelaySeconds=2"),
    *("--provider-set", "delay=1"),
    *("--provider-set", "delay_jitter=0"),
)


@pytest.fixture(scope="module")
def long_grace_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A second stack whose webhook grace (30 s) comfortably covers a task's run and the webhook's trip."""
    with start_local_stack(tmp_path_factory.mktemp("long-grace"), *LONG_GRACE_SETTINGS) as stack:
        yield stack


@pytest.fixture(scope="module")
def long_grace(long_grace_stack: RunningStack) -> Pipeline:
    info = long_grace_stack.info
    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=info["region"])
    observed = Pipeline.observe(session, info)
    _webhooks_on(observed, info["webhook_url"])
    return observed


@dataclass(frozen=True)
class Measured:
    """Costs of a batch of analyses run with healthy webhooks."""

    statuses: list[str]
    calls_per_analysis: float
    transitions_per_analysis: float
    woken_by_webhook: int


@pytest.fixture(scope="module")
def healthy_batch(long_grace: Pipeline, long_grace_stack: RunningStack) -> Measured:
    """HEALTHY_ANALYSES uploads at once with webhooks on, measured from the simulator and the histories.

    Healthy means the webhook arrives within the grace period, as it does in production (grace 20 s, tasks of
    seconds): on the session stack's 2 s grace a loaded machine lets some waits time out into a poll.
    """
    pipeline, stack_outputs = long_grace, long_grace_stack.outputs
    before = pipeline.simulator.counters()
    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(lambda _: pipeline.upload(plain_jpeg((960, 720))), range(HEALTHY_ANALYSES)))
    items = [pipeline.finished(analysis_id, timeout=240) for analysis_id in ids]
    calls = _total_calls(pipeline.simulator.counters()) - _total_calls(before)
    histories = [pipeline.execution_history(analysis_id, stack_outputs["StateMachineArn"]) for analysis_id in ids]
    transitions = sum(len(_states_entered(history)) for history in histories)
    woken = sum(not _wait_ended_by_timeout(history) for history in histories)
    measured = Measured(
        [item["status"]["S"] for item in items], calls / len(ids), transitions / len(ids), woken_by_webhook=woken
    )
    print(
        f"webhooks healthy: {measured.calls_per_analysis:.2f} provider calls and "
        f"{measured.transitions_per_analysis:.1f} state transitions per analysis; "
        f"{woken}/{len(ids)} woken without a wait timing out"
    )
    return measured


def test_healthy_webhooks_finish_every_analysis_within_8_transitions(healthy_batch: Measured) -> None:
    assert healthy_batch.statuses == ["SUCCEEDED"] * HEALTHY_ANALYSES
    assert healthy_batch.transitions_per_analysis <= 8
    # The webhook, not the grace period, ends most waits
    assert healthy_batch.woken_by_webhook >= HEALTHY_ANALYSES // 2


def test_healthy_webhooks_cost_at_most_2_1_provider_calls_per_analysis(healthy_batch: Measured) -> None:
    assert healthy_batch.calls_per_analysis <= 2.1


def test_lost_webhooks_fall_back_to_polling(pipeline: Pipeline) -> None:
    # Given the provider loses every notification
    pipeline.simulator.lose_webhooks(times=None)
    before = pipeline.simulator.counters()
    # When photos are analysed, then the poll fallback completes every one
    ids = [pipeline.upload(plain_jpeg((960, 720))) for _ in range(4)]
    items = [pipeline.finished(analysis_id, timeout=120) for analysis_id in ids]
    assert [item["status"]["S"] for item in items] == ["SUCCEEDED"] * len(ids)
    calls = _total_calls(pipeline.simulator.counters()) - _total_calls(before)
    print(f"webhooks lost: {calls / len(ids):.2f} provider calls per analysis")


def test_duplicated_and_reordered_webhooks_complete_each_analysis_once(pipeline: Pipeline) -> None:
    # Given every notification is sent three times, and the next three are delivered newest first
    pipeline.simulator.duplicate_webhooks(times=None, copies=3)
    pipeline.simulator.reorder_webhooks(count=3, max_hold=5)
    ids = [pipeline.upload(plain_jpeg((960, 720))) for _ in range(3)]
    # Then each analysis succeeds with exactly one Completed event
    for analysis_id in ids:
        assert pipeline.finished(analysis_id, timeout=120)["status"]["S"] == "SUCCEEDED"
    events = {analysis_id: pipeline.events_of(analysis_id, settle=0.5) for analysis_id in ids}
    for analysis_id, received in events.items():
        assert [event["detail-type"] for event in received] == [COMPLETED], analysis_id


def _invalid_deliveries(task_id: str, secret: str) -> dict[str, tuple[bytes, dict[str, str]]]:
    body = notification_body(task_id)
    valid = signed_headers(body, secret)
    return {
        "forged": (body, signed_headers(body, new_secret())),
        "tampered": (body.replace(b"success", b"error"), valid),
        "stale": (body, signed_headers(body, secret, timestamp=int(time.time()) - 600)),
        "header_less": (body, {}),
        "malformed": (body, {**valid, "webhook-signature": "v1"}),
        "bad_timestamp": (body, {**valid, "webhook-timestamp": "soon"}),
    }


def test_invalid_webhooks_are_401_and_change_nothing(pipeline: Pipeline, local_stack: dict[str, Any]) -> None:
    # Given a finished analysis
    analysis_id = pipeline.upload(plain_jpeg((960, 720)))
    item = pipeline.finished(analysis_id, timeout=120)
    task_id = item["task_id"]["S"]
    before = pipeline.item(analysis_id)

    # When forged, tampered, stale, header-less and malformed deliveries about its task arrive
    answers = {
        kind: _post(local_stack["webhook_url"], body, headers)
        for kind, (body, headers) in _invalid_deliveries(task_id, local_stack["webhook_secret"]).items()
    }

    # Then each is refused with 401 (never a 500) and the item is untouched
    assert {kind: answer.status_code for kind, answer in answers.items()} == dict.fromkeys(
        answers, HTTPStatus.UNAUTHORIZED
    )
    assert pipeline.item(analysis_id) == before


def test_a_valid_webhook_for_a_finished_analysis_or_a_repeat_changes_nothing(
    pipeline: Pipeline, local_stack: dict[str, Any]
) -> None:
    analysis_id = pipeline.upload(plain_jpeg((960, 720)))
    task_id = pipeline.finished(analysis_id, timeout=120)["task_id"]["S"]
    before = pipeline.item(analysis_id)
    body = notification_body(task_id)
    webhook_id = f"msg_{task_id}:{uuid.uuid4().hex[:6]}"
    first = _post(
        local_stack["webhook_url"], body, signed_headers(body, local_stack["webhook_secret"], webhook_id=webhook_id)
    )
    again = _post(
        local_stack["webhook_url"], body, signed_headers(body, local_stack["webhook_secret"], webhook_id=webhook_id)
    )
    assert (first.status_code, first.json()) == (HTTPStatus.OK, {"outcome": "finished", "duplicate": False})
    assert (again.status_code, again.json()) == (HTTPStatus.OK, {"outcome": "finished", "duplicate": True})
    assert pipeline.item(analysis_id) == before


def _webhook_metrics(state_dir: Path) -> dict[str, int]:
    logs = state_dir / LOGS_DIR / "WebhookFunction"
    text = "\n".join(path.read_text(errors="replace") for path in sorted(logs.glob("*.log")))
    return dict(emitted_metrics(text))


def test_an_unknown_task_is_200_and_counted_as_an_orphan(local_stack: dict[str, Any], state_dir: Path) -> None:
    orphans_before = _webhook_metrics(state_dir).get("WebhookOrphans", 0)
    body = notification_body(f"unknown-{uuid.uuid4().hex}")

    answer = _post(local_stack["webhook_url"], body, signed_headers(body, local_stack["webhook_secret"]))

    assert (answer.status_code, answer.json()) == (HTTPStatus.OK, {"outcome": "orphan", "duplicate": False})
    wait_until(
        lambda: _webhook_metrics(state_dir).get("WebhookOrphans", 0) > orphans_before,
        timeout=10,
        what="the orphan metric in the webhook function's log",
    )


# ---------------------------------------------------------------- a stack with a 30 s webhook grace


def test_with_a_30_s_grace_the_webhook_finishes_an_analysis_in_under_10_s(long_grace: Pipeline) -> None:
    started = time.monotonic()
    item = long_grace.finished(long_grace.upload(plain_jpeg((960, 720))), timeout=60)
    assert item["status"]["S"] == "SUCCEEDED"
    assert time.monotonic() - started < 10


def test_a_webhook_before_the_create_answer_finishes_without_waiting_for_the_grace(long_grace: Pipeline) -> None:
    # Given the provider notifies before it answers the create (the task id is not recorded yet)
    long_grace.simulator.webhook_before_response()
    started = time.monotonic()
    # When a photo is analysed, then it is done well inside the 30 s grace
    item = long_grace.finished(long_grace.upload(plain_jpeg((960, 720))), timeout=60)
    assert item["status"]["S"] == "SUCCEEDED"
    assert time.monotonic() - started < 10
