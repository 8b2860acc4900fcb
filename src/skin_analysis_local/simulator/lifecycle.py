"""Task lifecycle: background judging, the running → terminal transition, charging and expiry.

A task finishes when both its processing delay has passed and the engine (download + judging, run on a worker
thread) has an outcome. `settle` performs due transitions; the server's ticker calls it continuously so
charges and the terminal-transition listeners (webhook deliveries) happen even if nobody polls.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from skin_analysis.provider.actions import unit_cost
from skin_analysis_local.simulator.engine import DownloadFailed, Outcome, fetch, judge
from skin_analysis_local.simulator.results import render_results
from skin_analysis_local.simulator.state import TaskPhase

if TYPE_CHECKING:
    from skin_analysis_local.simulator.state import SimulatorState, TaskRecord

logger = logging.getLogger(__name__)


def process(state: SimulatorState, task_id: str, src_file_url: str | None) -> None:
    """Worker-thread body: get the bytes (downloading `src_file_url` if given), judge them, store the outcome."""
    with state.lock:
        task = state.tasks[task_id]
        data, name, quality = task.source, task.source_name, task.quality
        fixtures = dict(state.fixtures)
        override = state.file_fixtures.get(task.file_id or "")
        url_fixture = state.url_fixtures.get(src_file_url or "")
    if src_file_url is not None:
        try:
            data = url_fixture if url_fixture is not None else fetch(src_file_url, state.config)
        except DownloadFailed as error:
            logger.info("task %s: src_file_url failed: %s", task_id, error)
            data = None
    outcome: Outcome
    if data is None:
        outcome = Outcome(error="error_download_image" if src_file_url else "unknown_internal_error")
    else:
        outcome = judge(data, name, quality, state.config, fixtures, override=override)
    with state.lock:
        task.source = data
        task.outcome = outcome
        task.outcome_at = state.clock.now()
        # Uploaded sources were counted at create; downloaded ones are known only now.
        if src_file_url is not None and outcome.source_sha256 is not None:
            state.counters.tasks_by_source[outcome.source_sha256] += 1


def settle(state: SimulatorState, only: TaskRecord | None = None) -> None:
    """Perform every due transition (or only `only`'s), then tell the listeners outside the lock."""
    finished: list[TaskRecord] = []
    with state.lock:
        now = state.clock.now()
        candidates = [only] if only is not None else [t for t in state.tasks.values() if not t.webhook_inline]
        for task in candidates:
            if task.phase is TaskPhase.RUNNING and _settle_one(state, task, now):
                finished.append(task)
    for task in finished:
        if task.phase is TaskPhase.SUCCESS:
            render_results(task, state.config.zip_skin_type_nested)
        for listener in list(state.task_listeners):
            listener(task)


def _settle_one(state: SimulatorState, task: TaskRecord, now: float) -> bool:
    window = state.config.unpolled_window
    if task.outcome is None or task.outcome_at is None or now < task.due_at:
        if window is not None and now - task.last_polled_at > window:
            task.expired = True
        return False
    finished_at = max(task.due_at, task.outcome_at)
    # The documented trap: unpolled past the window means expired, yet a success is still charged.
    if window is not None and finished_at - task.last_polled_at > window:
        task.expired = True
    task.finished_at = finished_at
    outcome = task.outcome
    if outcome.task_timeout:
        task.phase = TaskPhase.TIMED_OUT
    elif outcome.error is not None:
        task.phase = TaskPhase.ERROR
    else:
        task.phase = TaskPhase.SUCCESS
        state.charge(task, unit_cost(task.quality, len(task.actions)))
    return True


def queryable(state: SimulatorState, task: TaskRecord, api_key: str) -> bool:
    """Whether the status GET may see this task (else: 400 Invalid task ID)."""
    if task.api_key != api_key or task.deleted or task.expired:
        return False
    return not (task.finished_at is not None and state.clock.now() - task.finished_at > state.config.retention)
