"""End-to-end tier: `skin-analysis local up` once per session, in a temp state dir, on free ports.

`local_stack` is local.json's contents plus `state_dir`; tests reach AWS through `aws_endpoint` (moto), the
partner API through `api_url` and the simulator through `provider_url`, exactly as a developer would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest

from skin_analysis_local.simulator.control import SimulatorControl
from tests.e2e.stack import RunningStack, start_local_stack

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


# Waits shrunk and the provider budget scaled down (20 per 10 s), so the wait/poll loop and the limiter run in
# seconds; tasks take the simulator 1 s. Nothing uses a fake clock.
E2E_SETTINGS = (
    *("--param", "WebhookGraceSeconds=2"),
    *("--param", "PollInitialDelaySeconds=1"),
    *("--param", "PollMaxDelaySeconds=2"),
    *("--param", "RateBudget=20"),
    *("--param", "RateWindowSeconds=10"),
    *("--param", "RateReadReserve=4"),
    *("--param", "SubmitRetryDelaySeconds=1"),
    *("--param", "ReconcileStrandedAfterSeconds=10"),
    *("--provider-set", "delay=1"),
    *("--provider-set", "delay_jitter=0"),
)


# A second small stack, started only if a test asks for it, for what the session's cannot do: uncertain submits
# fail (UncertainSubmitPolicy=fail) instead of being retried. Its budget is three times the session's, so the
# bad-input corpus (about 20 analyses at once) runs on it without waiting for the limiter.
SECOND_STACK_SETTINGS = (
    *E2E_SETTINGS,
    *("--param", "UncertainSubmitPolicy=fail"),
    *("--param", "RateBudget=60"),
    *("--param", "RateReadReserve=10"),
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The secret-leak check reads what every other test left in the session stack's logs: it runs last."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/e2e/test_no_secrets_leak.py"))


@pytest.fixture(scope="session")
def running_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The `local up` process of the session, with how long it took to write local.json."""
    with start_local_stack(tmp_path_factory.mktemp("local-stack"), *E2E_SETTINGS) as stack:
        yield stack


@pytest.fixture(scope="session")
def second_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The second stack (SECOND_STACK_SETTINGS), shared by the modules that need it."""
    with start_local_stack(tmp_path_factory.mktemp("second-stack"), *SECOND_STACK_SETTINGS) as stack:
        yield stack


@pytest.fixture(scope="session")
def local_stack(running_stack: RunningStack) -> dict[str, Any]:
    """local.json of the session's stack, plus `state_dir` (a Path) for its invocation records and logs."""
    return {**running_stack.info, "state_dir": running_stack.state_dir}


@pytest.fixture
def simulator_restored(local_stack: dict[str, Any]) -> Iterator[SimulatorControl]:
    """The session stack's simulator; every fault and engine-error fixture is cleared after the test."""
    simulator = SimulatorControl(local_stack["provider_url"])
    try:
        yield simulator
    finally:
        simulator.clear_faults()
        simulator.clear_fixtures()


@pytest.fixture(scope="session")
def stack_outputs(running_stack: RunningStack) -> dict[str, str]:
    """The template's Outputs as the local stack resolved them (state machine ARN, queue URLs, ...)."""
    return running_stack.outputs


@pytest.fixture(scope="session")
def aws(local_stack: dict[str, Any]) -> boto3.Session:
    """A boto3 session for the stack's moto; pass `endpoint_url=local_stack["aws_endpoint"]` to its clients."""
    return boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=local_stack["region"])


@pytest.fixture(scope="session")
def state_dir(local_stack: dict[str, Any]) -> Path:
    """The stack's state dir."""
    path: Path = local_stack["state_dir"]
    return path
