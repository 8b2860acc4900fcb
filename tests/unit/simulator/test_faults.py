"""Fault building from JSON and how many times each fault fires (no network)."""

from __future__ import annotations

from typing import Any

import pytest

from skin_analysis_local.simulator.faults import (
    FAULT_KINDS,
    DelayedWebhooks,
    DroppedResponse,
    DuplicatedWebhooks,
    FaultInjector,
    LostWebhooks,
    RateLimitStorm,
    ReorderedWebhooks,
    ServerErrors,
    SkewedWebhookTimestamps,
    TamperedWebhooks,
    WebhookBeforeResponse,
    fault_as_json,
    fault_from_json,
)
from skin_analysis_local.simulator.wire import Response, json_response


def ok() -> Response:
    return json_response(200, {"status": 200})


@pytest.mark.parametrize("kind", sorted(FAULT_KINDS))
def test_every_kind_round_trips(kind: str) -> None:
    fault = fault_from_json({"kind": kind, "times": 3})
    assert isinstance(fault, FAULT_KINDS[kind])
    assert fault_as_json(fault)["kind"] == kind
    assert fault_as_json(fault)["times"] == 3


def test_options_are_applied() -> None:
    fault = fault_from_json(
        {"kind": "server_error", "routes": ["task.create"], "status": 503, "after_processing": True}
    )
    assert fault == ServerErrors(routes=frozenset({"task.create"}), times=1, status=503, after_processing=True)
    assert fault_as_json(fault)["routes"] == ["task.create"]
    assert fault_from_json({"kind": "webhook_duplicate", "copies": 4, "times": None}) == DuplicatedWebhooks(
        times=None, copies=4
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"kind": "meteor"}, "unknown fault kind"),
        ({}, "unknown fault kind"),
        ({"kind": "slow", "status": 500}, "not status"),
        ({"kind": "slow", "routes": ["storage.upload"]}, "routes must be"),
        ({"kind": "slow", "routes": "task.create"}, "routes must be"),
        ({"kind": "slow", "times": 0}, "times must be"),
        ({"kind": "slow", "times": True}, "times must be"),
        ({"kind": "slow", "seconds": "1"}, "seconds must be a number"),
        ({"kind": "server_error", "after_processing": 1}, "after_processing must be true or false"),
        ({"kind": "webhook_duplicate", "copies": False}, "copies must be a number"),
    ],
)
def test_bad_fault_bodies(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fault_from_json(body)


def test_answer_faults_fire_on_their_routes_only_and_count_down() -> None:
    injector = FaultInjector()
    injector.add(RateLimitStorm(routes=frozenset({"task.create"}), times=2))
    ran: list[str] = []

    def endpoint() -> Response:
        ran.append("ran")
        return ok()

    assert injector.run("task.status", endpoint).status == 200
    assert [injector.run("task.create", endpoint).status for _ in range(3)] == [429, 429, 200]
    assert ran == ["ran", "ran"]
    assert injector.active() == []


def test_after_faults_run_the_endpoint_first() -> None:
    injector = FaultInjector()
    injector.add(DroppedResponse())
    injector.add(ServerErrors(status=502, after_processing=True))
    ran: list[str] = []

    def endpoint() -> Response:
        ran.append("ran")
        return ok()

    answer = injector.run("task.create", endpoint)
    assert (ran, answer.status, answer.drop) == (["ran"], 502, False)
    dropped = FaultInjector()
    dropped.add(DroppedResponse(times=None))
    assert dropped.run("file.create", endpoint).drop


def test_webhook_plan_uses_one_firing_of_each_kind() -> None:
    injector = FaultInjector()
    for fault in (
        LostWebhooks(times=1),
        DuplicatedWebhooks(times=2, copies=3),
        DelayedWebhooks(times=1, seconds=0.5),
        SkewedWebhookTimestamps(times=1, seconds=-600),
        TamperedWebhooks(times=1),
        ReorderedWebhooks(times=2),
    ):
        injector.add(fault)
    first, second, third = injector.webhook_plan(), injector.webhook_plan(), injector.webhook_plan()
    assert (first.lost, first.copies, first.delay, first.skew, first.tamper) == (True, 3, 0.5, -600, True)
    assert first.reorder is not None
    assert not first.reorder_last
    assert (second.lost, second.copies, second.delay, second.tamper, second.reorder_last) == (False, 3, 0, False, True)
    assert (third.copies, third.reorder) == (1, None)


def test_before_response_is_taken_by_the_create_only() -> None:
    injector = FaultInjector()
    injector.add(WebhookBeforeResponse(times=1))
    assert injector.webhook_plan().reorder is None
    assert injector.take(WebhookBeforeResponse) is not None
    assert injector.take(WebhookBeforeResponse) is None


def test_clear() -> None:
    injector = FaultInjector()
    injector.add(ServerErrors(times=None))
    injector.add(LostWebhooks(times=None))
    assert len(injector.active()) == 2
    injector.clear()
    assert injector.active() == []
