"""The counters that prove cost: exact under concurrent clients, per endpoint and key, per task, per photo."""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING

from skin_analysis.provider.actions import unit_cost
from skin_analysis.quality import Quality
from skin_analysis_local.simulator import SimulatorControl
from tests.integration.provider.conftest import API_KEY, jpeg
from tests.integration.simulator.conftest import client_of, deliveries_settled

if TYPE_CHECKING:
    from tests.integration.simulator.conftest import MakeSim, Receiver

THREADS, TASKS_EACH = 8, 5
OTHER_KEY = "sk-sim-other"


def test_counters_are_exact_under_concurrent_clients(make_sim: MakeSim, receiver: Receiver) -> None:
    # Given two keys and eight clients, each uploading its own photo once and creating five tasks on it
    sim = make_sim(webhook_urls=(receiver.url(),), api_keys=(API_KEY, OTHER_KEY), rate_limit=10_000)
    control = SimulatorControl(sim.url)
    photos = [jpeg(600, 800, shade=30 + 25 * i) for i in range(THREADS)]
    task_ids: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def work(index: int) -> None:
        client = client_of(sim, api_key=API_KEY if index % 2 else OTHER_KEY)
        file_id = client.upload_file(photos[index], content_type="image/jpeg", file_name=f"{index}.jpg")
        barrier.wait()
        created = [client.create_task(dst_actions=["wrinkle"], src_file_id=file_id).task_id for _ in range(TASKS_EACH)]
        for task_id in created:
            client.get_task(task_id)
        with lock:
            task_ids.extend(created)

    # When they all run at once
    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Then every counter is exact: calls per endpoint and key, tasks per photo, units per task and key
    total = THREADS * TASKS_EACH
    per_key = total // 2
    assert len(set(task_ids)) == total
    counters = control.counters()
    assert counters["calls"]["task.create"] == {API_KEY: per_key, OTHER_KEY: per_key}
    assert counters["calls"]["task.status"] == {API_KEY: per_key, OTHER_KEY: per_key}
    assert counters["calls"]["file.create"] == {API_KEY: THREADS // 2, OTHER_KEY: THREADS // 2}
    assert counters["tasks_by_source"] == {hashlib.sha256(photo).hexdigest(): TASKS_EACH for photo in photos}
    # Every task succeeds (zero delay): each is charged once, at the SD 1-concern price
    deliveries = deliveries_settled(control, total, timeout=10)
    price = unit_cost(Quality.SD, 1)
    assert control.counters()["units_charged"] == dict.fromkeys(task_ids, price)
    assert control.units_charged(API_KEY) == control.units_charged(OTHER_KEY) == per_key * price
    # And each task was announced exactly once, to the one endpoint, and delivered
    assert sorted(d["task_id"] for d in deliveries) == sorted(task_ids)
    assert {d["outcome"] for d in deliveries} == {"delivered"}
    assert len(receiver.wait_for(total)) == total
    assert len({r.webhook_id for r in receiver.received}) == total


def test_counters_cover_downloaded_sources_and_reset(make_sim: MakeSim, receiver: Receiver) -> None:
    sim = make_sim(webhook_urls=(receiver.url(),))
    control = SimulatorControl(sim.url)
    photo = jpeg(600, 800, shade=5)
    sim.state.url_fixtures["http://images.invalid/me.jpg"] = photo
    client = client_of(sim)
    for _ in range(3):
        client.create_task(dst_actions=["wrinkle"], src_file_url="http://images.invalid/me.jpg")
    deliveries_settled(control, 3)
    assert control.tasks_by_source() == {hashlib.sha256(photo).hexdigest(): 3}
    control.reset()
    counters = control.counters()
    assert counters["calls"] == {}
    assert counters["tasks_by_source"] == counters["units_charged"] == {}
    assert counters["webhooks"] == {"deliveries": [], "attempts": 0, "attempt_statuses": {}, "outcomes": {}}
