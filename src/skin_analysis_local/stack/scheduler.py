"""Scheduled EventBridge rules (`rate(...)`), which moto stores but never fires.

Each rule fires once per period, starting one period after boot as in AWS, with the "Scheduled Event" that
EventBridge sends. `cron(...)` expressions are not emulated (the template has none); they are logged and skipped.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from skin_analysis_local.stack.resolve import ACCOUNT_ID

if TYPE_CHECKING:
    from collections.abc import Callable

    from skin_analysis_local.stack.specs import Schedule

logger = logging.getLogger(__name__)

_RATE = re.compile(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int | None:
    """The period of a `rate(N unit)` expression in seconds, None for anything else (cron)."""
    match = _RATE.fullmatch(expression.strip())
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).removesuffix("s")]


def scheduled_event(rule_name: str, region: str, now: datetime | None = None) -> dict[str, Any]:
    """The event a scheduled rule sends its targets."""
    moment = now or datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{rule_name}"],
        "detail": {},
    }


class Scheduler:
    """One timer thread per scheduled rule; `deliver(target_arn, event)` sends the event to a target."""

    def __init__(self, schedules: list[Schedule], region: str, deliver: Callable[[str, dict[str, Any]], None]) -> None:
        self._region = region
        self._deliver = deliver
        self._stopping = threading.Event()
        self._threads = []
        for schedule in schedules:
            period = rate_seconds(schedule.expression)
            if period is None:
                logger.warning("schedule %s of %s is not emulated locally", schedule.expression, schedule.rule_name)
                continue
            thread = threading.Thread(
                target=self._run, args=(schedule, period), name=f"schedule-{schedule.rule_name}", daemon=True
            )
            self._threads.append(thread)

    def start(self) -> None:
        """Start the timers."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop firing."""
        self._stopping.set()

    def _run(self, schedule: Schedule, period: int) -> None:
        while not self._stopping.wait(period):
            event = scheduled_event(schedule.rule_name, self._region)
            for target in schedule.target_arns:
                self._deliver(target, event)
