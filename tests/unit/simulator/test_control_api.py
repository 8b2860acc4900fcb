"""The `/_sim/` control API driven through the request pipeline in process (no sockets), and the webhook body."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from skin_analysis_local.simulator.config import SimulatorConfig
from skin_analysis_local.simulator.pipeline import Pipeline
from skin_analysis_local.simulator.results import json_output
from skin_analysis_local.simulator.routes import ROUTES
from skin_analysis_local.simulator.state import SimulatorState, TaskPhase, TaskRecord
from skin_analysis_local.simulator.webhooks import notification_of
from skin_analysis_local.simulator.wire import Request

if TYPE_CHECKING:
    from collections.abc import Callable

SECRET = "whsec_NDQzMzYxNzkzMzE0NjYyNDM6OTIxOTcwNDIxODQ"


class InProcess:
    """Calls the pipeline directly; background work runs inline."""

    def __init__(self, **settings: Any) -> None:
        self.state = SimulatorState(SimulatorConfig(delay=0.0, **settings))
        self.pipeline = Pipeline(self.state, ROUTES, lambda: "http://sim.invalid", self._inline)

    @staticmethod
    def _inline(work: Callable[[], None]) -> None:
        work()

    def call(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        raw = b"" if body is None else json.dumps(body).encode()
        response = self.pipeline.handle(Request(method, path, {}, {}, raw, "127.0.0.1"))
        return response.status, json.loads(response.body)


@pytest.fixture
def sim() -> InProcess:
    return InProcess(webhook_urls=("http://127.0.0.1:9/hook",), webhook_secret=SECRET)


def test_webhooks_view_and_replace(sim: InProcess) -> None:
    assert sim.call("GET", "/_sim/webhooks") == (
        200,
        {"endpoints": [{"url": "http://127.0.0.1:9/hook", "disabled": False}], "secret": SECRET, "extra_secrets": []},
    )
    status, view = sim.call("PUT", "/_sim/webhooks", {"urls": ["https://a.example/h", "https://a.example/h"]})
    assert status == 200
    assert view["endpoints"] == [{"url": "https://a.example/h", "disabled": False}]
    assert view["secret"] == SECRET


def test_rotation_generates_an_unpadded_secret_and_can_keep_the_old_one(sim: InProcess) -> None:
    _, view = sim.call("POST", "/_sim/webhooks/rotate", {"sign_with_old": True})
    assert view["secret"].startswith("whsec_")
    assert "=" not in view["secret"]
    assert view["extra_secrets"] == [SECRET]
    _, again = sim.call("POST", "/_sim/webhooks/rotate")
    assert again["extra_secrets"] == []


def test_config_patch_and_reset(sim: InProcess) -> None:
    status, config = sim.call("PATCH", "/_sim/config", {"unpolled_window": 30, "rate_limit": 2, "strict_params": True})
    assert status == 200
    assert (config["unpolled_window"], config["rate_limit"], config["strict_params"]) == (30.0, 2, True)
    assert sim.state.limiter.limit == 2
    sim.call("PATCH", "/_sim/config", {"webhook_retry_delays": [0.1, 0.2]})
    assert sim.state.config.webhook_retry_delays == (0.1, 0.2)
    sim.call("POST", "/_sim/reset")
    assert sim.state.config == sim.state.initial_config


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("PATCH", "/_sim/config", {"webhook_urls": ["http://x/"]}, "cannot change after start"),
        ("PATCH", "/_sim/config", {"delay": "soon"}, "could not convert"),
        ("PATCH", "/_sim/config", [1], "JSON object"),
        ("POST", "/_sim/clock", {}, "advance must be"),
        ("POST", "/_sim/fixtures", {"outcome": "error_no_face"}, "sha256"),
        ("POST", "/_sim/fixtures", {"outcome": "Error!", "sha256": "ab"}, "outcome must be"),
        ("POST", "/_sim/faults", {"kind": "slow", "seconds": "x"}, "seconds must be"),
        ("PUT", "/_sim/webhooks", {"urls": "http://x/"}, "urls must be a list"),
        ("POST", "/_sim/webhooks/rotate", {"secret": 7}, "whsec_"),
        ("POST", "/_sim/tasks", {"api_key": ""}, "api_key"),
        ("POST", "/_sim/tasks", {"error": "Bad Code"}, "error must be"),
        ("POST", "/_sim/tasks", {"delay": -1}, "delay must be"),
    ],
)
def test_bad_requests_are_400_with_the_reason(
    sim: InProcess, method: str, path: str, body: object, message: str
) -> None:
    status, answer = sim.call(method, path, body)
    assert status == 400
    assert message in answer["error"]


def test_fixtures_by_hash_and_file_id(sim: InProcess) -> None:
    sim.call("POST", "/_sim/fixtures", {"outcome": "error_no_face", "sha256": "AB" * 32})
    _, fixtures = sim.call("POST", "/_sim/fixtures", {"outcome": "task_timeout", "file_id": "f/+id"})
    assert fixtures == {"sha256": {"ab" * 32: "error_no_face"}, "file_id": {"f/+id": "task_timeout"}}
    sim.call("DELETE", "/_sim/fixtures")
    assert sim.call("GET", "/_sim/fixtures")[1] == {"sha256": {}, "file_id": {}}


def test_foreign_task_finishes_and_is_charged_to_its_key(sim: InProcess) -> None:
    _, created = sim.call("POST", "/_sim/tasks", {"api_key": "sk-other", "dst_actions": ["hd_pore", "hd_acne"]})
    task_id = created["data"]["task_id"]
    _, counters = sim.call("GET", "/_sim/counters")
    assert counters["units_by_key"] == {"sk-other": counters["units_charged"][task_id]}
    assert sim.state.tasks[task_id].phase is TaskPhase.SUCCESS
    _, failed = sim.call("POST", "/_sim/tasks", {"error": "error_lighting_dark"})
    sim.call("GET", "/_sim/counters")
    assert sim.state.tasks[failed["data"]["task_id"]].phase is TaskPhase.ERROR


def test_clock_and_expiry_routes(sim: InProcess) -> None:
    _, before = sim.call("GET", "/_sim/clock")
    _, after = sim.call("POST", "/_sim/clock", {"advance": 100})
    assert after["now"] - before["now"] >= 100
    _, created = sim.call("POST", "/_sim/tasks", {})
    task_id = created["data"]["task_id"]
    assert sim.call("POST", f"/_sim/tasks/{task_id}/expire") == (200, {"status": 200})
    assert sim.state.tasks[task_id].expired
    assert sim.call("POST", "/_sim/tasks/nope/expire")[0] == 404
    assert sim.call("POST", "/_sim/results/expire") == (200, {"status": 200, "expired": 0})


def test_control_calls_are_not_counted_or_faulted(sim: InProcess) -> None:
    sim.call("POST", "/_sim/faults", {"kind": "server_error", "times": None})
    assert sim.call("GET", "/_sim/faults")[1]["faults"][0]["kind"] == "server_error"
    assert sim.call("GET", "/_sim/counters")[1]["calls"] == {}


def test_notification_body_and_id(sim: InProcess) -> None:
    _, created = sim.call("POST", "/_sim/tasks", {"error": "task_timeout"})
    task = sim.state.tasks[created["data"]["task_id"]]
    sim.call("GET", "/_sim/counters")
    assert task.phase is TaskPhase.TIMED_OUT
    note = notification_of(task)
    created_at = int(task.finished_at or 0)
    assert (
        note.body
        == (f'{{"created_at":{created_at},"data":{{"task_id":"{task.task_id}","task_status":"error"}}}}').encode()
    )
    assert note.webhook_id == f"msg_{task.task_id}:{created_at}"
    assert b'"task_status":"success"' in note.tampered_body


def test_a_successful_task_has_its_results_rendered_before_anyone_is_told(sim: InProcess) -> None:
    # Given a listener standing in for the webhook sender, noting what was rendered when it was told
    seen: dict[str, list[str]] = {}

    def told(task: TaskRecord) -> None:
        seen[task.task_id] = sorted(task.rendered)

    sim.state.task_listeners.append(told)

    # When a task with two concerns (one with three regions) finishes
    _, created = sim.call("POST", "/_sim/tasks", {"dst_actions": ["hd_pore", "hd_acne"]})
    task_id = created["data"]["task_id"]
    sim.call("GET", "/_sim/counters")

    # Then every member its result lists (each mask and the resized photo) was ready before the notification
    task = sim.state.tasks[task_id]
    minted: list[str] = []

    def mint(name: str) -> str:
        minted.append(name)
        return name

    json_output(task, task.image.sha256, mint)
    assert seen[task_id] == sorted(minted)
    assert all(body.startswith((b"\x89PNG", b"\xff\xd8")) for body in task.rendered.values())
