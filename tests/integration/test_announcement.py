"""The terminal event goes out once: the announcement lease against a real DynamoDB API (moto's server)."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from skin_analysis.models import Analysis, AnalysisStatus, create_analysis, transition, utc_now
from skin_analysis.models.announcement import AnnouncementPending, announce, lease_on_terminal_move

pytestmark = pytest.mark.usefixtures("analyses_table")


def _failed_unannounced() -> str:
    analysis_id = uuid.uuid4().hex
    create_analysis(Analysis(analysis_id, status=AnalysisStatus.RECEIVED, quality="sd", dst_actions=["wrinkle"]))
    transition(analysis_id, AnalysisStatus.FAILED, {"error_code": "timeout"})
    return analysis_id


class _Bus:
    """Counts publishes; each takes a moment, as a PutEvents call does."""

    def __init__(self, seconds: float = 0.3) -> None:
        self.published = 0
        self._seconds = seconds
        self._lock = threading.Lock()

    def publish(self) -> None:
        time.sleep(self._seconds)
        with self._lock:
            self.published += 1


def test_steps_racing_to_announce_one_terminal_item_publish_once() -> None:
    # Given a terminal item whose event has not gone out, and six steps that all find it so
    analysis_id = _failed_unannounced()
    bus = _Bus()

    # When they announce at once
    with ThreadPoolExecutor(6) as pool:
        published = list(pool.map(lambda _: announce(analysis_id, bus.publish), range(6)))

    # Then one published, the others waited for it, and the item records the announcement
    assert bus.published == 1
    assert sorted(published) == [False] * 5 + [True]
    item = Analysis.get(analysis_id, consistent_read=True)
    assert item.announced_at is not None
    assert item.announcing_until is None


def test_a_publish_that_fails_gives_the_lease_back_for_the_retry() -> None:
    analysis_id = _failed_unannounced()

    def refused() -> None:
        raise RuntimeError("EventBridge refused the entry")

    with pytest.raises(RuntimeError):
        announce(analysis_id, refused)
    assert Analysis.get(analysis_id, consistent_read=True).announcing_until is None

    bus = _Bus(seconds=0)
    assert announce(analysis_id, bus.publish) is True
    assert bus.published == 1


def test_a_holder_that_died_blocks_until_its_lease_lapses_then_the_retry_publishes() -> None:
    # Given a step that took the lease and died before publishing
    analysis_id = _failed_unannounced()
    Analysis(analysis_id).update(actions=[Analysis.announcing_until.set(utc_now() + timedelta(seconds=30))])
    bus = _Bus(seconds=0)

    # When another step tries while the lease holds, Then it hands over to its own retry without publishing
    with pytest.raises(AnnouncementPending):
        announce(analysis_id, bus.publish)
    assert bus.published == 0

    # And once the lease has lapsed, the retry publishes
    Analysis(analysis_id).update(actions=[Analysis.announcing_until.set(utc_now() - timedelta(seconds=1))])
    assert announce(analysis_id, bus.publish) is True
    assert bus.published == 1


def test_an_announced_item_is_never_published_again() -> None:
    analysis_id = _failed_unannounced()
    bus = _Bus(seconds=0)
    announce(analysis_id, bus.publish)
    assert announce(analysis_id, bus.publish) is False
    assert bus.published == 1


def test_the_step_that_ends_the_analysis_holds_the_lease_from_that_write() -> None:
    # Given a step that made the terminal move with the lease in the same write, and has not published yet
    analysis_id = uuid.uuid4().hex
    create_analysis(Analysis(analysis_id, status=AnalysisStatus.RECEIVED, quality="sd", dst_actions=["wrinkle"]))
    transition(analysis_id, AnalysisStatus.FAILED, {"error_code": "timeout", **lease_on_terminal_move()})
    bus = _Bus(seconds=0)

    # When another step finds the item terminal and unannounced, Then it cannot take the announcement
    with pytest.raises(AnnouncementPending):
        announce(analysis_id, bus.publish)
    assert bus.published == 0

    # And the step that ended it publishes without claiming, once
    assert announce(analysis_id, bus.publish, leased=True) is True
    assert announce(analysis_id, bus.publish) is False
    assert bus.published == 1
    item = Analysis.get(analysis_id, consistent_read=True)
    assert item.announced_at is not None
    assert item.announcing_until is None
