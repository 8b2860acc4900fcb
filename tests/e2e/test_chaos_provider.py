"""Chaos on the provider's side: lost and late create answers, 5xx bursts, 429 storms, under each submit policy.

Faults are the simulator's (docs/simulator.md), injected on the wire and always cleared afterwards: the session
stack is shared with other modules. After each scenario the invariants of tests/e2e/invariants.py hold, with
the provider's task count explained exactly by the faults. The `fail` policy needs a stack of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.invariants import Outcome, assert_invariants, observe, replay
from tests.e2e.pipeline import TERMINAL, Pipeline, plain_jpeg
from tests.helpers import wait_until

if TYPE_CHECKING:
    from collections.abc import Callable

    import boto3

    from tests.e2e.stack import RunningStack

pytestmark = [pytest.mark.chaos, pytest.mark.usefixtures("simulator_restored")]

# The provider client's read timeout (`provider_timeout_seconds` default): a slower answer is a lost one.
CLIENT_READ_TIMEOUT = 10.0


@pytest.fixture(scope="module")
def pipeline(aws: boto3.Session, local_stack: dict[str, Any]) -> Pipeline:
    return Pipeline.observe(aws, local_stack)


def _photo() -> bytes:
    return plain_jpeg((960, 720))


def _upload_once_each_fault_fired(pipeline: Pipeline, faults: list[Callable[[], None]]) -> list[str]:
    """One upload per fault, each armed once the previous upload is past submission (or a resubmit would take it)."""
    ids = []
    for arm in faults:
        arm()
        analysis_id = pipeline.upload(_photo())
        ids.append(analysis_id)

        def submitted(analysis_id: str = analysis_id) -> bool:
            item = pipeline.item(analysis_id) or {}
            return "task_id" in item or item.get("status", {}).get("S") in TERMINAL

        wait_until(submitted, 60, interval=0.1, what=f"{analysis_id} to get past submission")
    return ids


def _statuses(outcomes: dict[str, Outcome]) -> list[tuple[str, str | None, int]]:
    return [(o.status, o.error_code, o.uncertain_submits) for o in outcomes.values()]


def test_lost_create_answers_are_resubmitted_once_and_every_task_is_counted(
    pipeline: Pipeline, stack_outputs: dict[str, str]
) -> None:
    # Given creates whose task is made but whose answer is lost: dropped, a 5xx after processing, too slow
    simulator = pipeline.simulator
    # (the slow one first: the others run while its client waits out the timeout, and are submitted long before
    # its resubmit could take a fault armed for them)
    simulator.slow_responses(routes=["task.create"], seconds=CLIENT_READ_TIMEOUT + 1, times=1)
    slow = pipeline.upload(_photo())
    wait_until(lambda: not simulator.faults(), 30, interval=0.1, what="the slow answer to start")
    ids = [
        slow,
        *_upload_once_each_fault_fired(
            pipeline,
            [
                lambda: simulator.drop_responses(routes=["task.create"], times=1),
                lambda: simulator.server_errors(routes=["task.create"], times=1, status=502, after_processing=True),
            ],
        ),
    ]
    # When the pipeline runs under the default policy (retry), then each analysis succeeds after one resubmit,
    # and the provider holds exactly two tasks for each photo: the lost one and the resubmitted one
    outcomes = assert_invariants(
        pipeline, ids, machine_arn=stack_outputs["StateMachineArn"], tasks_per_uncertain_submit=1
    )
    assert _statuses(outcomes) == [("SUCCEEDED", None, 1)] * 3


def test_5xx_bursts_and_a_429_storm_are_retried_without_a_second_task(
    pipeline: Pipeline, stack_outputs: dict[str, str]
) -> None:
    # Given a 503 on the first create (before the provider did anything), 500s on the next two status reads, and
    # 429s on the next three calls whatever they are
    pipeline.simulator.server_errors(routes=["task.create"], times=1, status=503)
    pipeline.simulator.server_errors(routes=["task.status"], times=2, status=500)
    pipeline.simulator.rate_limit_storm(times=3)
    ids = [pipeline.upload(_photo()) for _ in range(3)]
    # Then every analysis succeeds with one task. The 503'd create counts as uncertain (it may have run: the
    # policy resubmits it once); a 429 proves nothing was processed, so it is retried and never counted.
    outcomes = assert_invariants(pipeline, ids, machine_arn=stack_outputs["StateMachineArn"])
    assert sorted(_statuses(outcomes)) == [("SUCCEEDED", None, 0), ("SUCCEEDED", None, 0), ("SUCCEEDED", None, 1)]


# ---------------------------------------------------------------- UncertainSubmitPolicy=fail


@pytest.fixture(scope="module")
def fail_policy(second_stack: RunningStack) -> tuple[Pipeline, str]:
    """The second stack (tests/e2e/conftest.py): its uncertain submits fail the analysis instead of retrying."""
    return observe(second_stack), second_stack.outputs["StateMachineArn"]


def test_with_the_fail_policy_a_lost_create_answer_fails_and_replay_resubmits_it(
    fail_policy: tuple[Pipeline, str], second_stack: RunningStack
) -> None:
    pipeline, machine_arn = fail_policy
    started = datetime.now(UTC)
    # Given one create whose answer is dropped (its task runs and is charged) and one healthy photo
    lost = _upload_once_each_fault_fired(pipeline, [lambda: pipeline.simulator.drop_responses(times=1)])
    healthy = pipeline.upload(_photo())
    # Then the first fails submission_uncertain with its one orphan task counted, and is never resubmitted
    outcomes = assert_invariants(pipeline, [*lost, healthy], machine_arn=machine_arn, tasks_per_uncertain_submit=1)
    assert _statuses(outcomes) == [("FAILED", "submission_uncertain", 1), ("SUCCEEDED", None, 0)]
    # When the operator, having checked the provider console, replays that code
    rows = replay(second_stack.state_dir, started, "submission_uncertain")
    # Then it is resubmitted once through a new execution and succeeds: two tasks for the photo (the orphan and
    # the new one), one Failed then one Completed event
    assert [rows[analysis_id]["outcome"] for analysis_id in lost] == ["resubmitted"]
    replayed = assert_invariants(pipeline, lost, machine_arn=machine_arn, tasks_per_uncertain_submit=1)
    assert [(outcome.status, outcome.replays) for outcome in replayed.values()] == [("SUCCEEDED", 1)]
