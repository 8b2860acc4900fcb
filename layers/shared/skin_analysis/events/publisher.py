"""Puts our events on the bus. PutEvents can fail per entry with HTTP 200, so failed entries are retried."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import boto3

from skin_analysis.errors import SkinAnalysisError
from skin_analysis.events.details import EVENT_SOURCE

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

    from skin_analysis.events.details import AnalysisEvent

# PutEvents accepts at most 10 entries per call.
_BATCH_SIZE = 10


class EventPublishFailed(SkinAnalysisError):
    """Raised when some entries were still refused after every retry; the caller's retry policy takes over."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__(f"{len(failures)} event(s) not accepted by EventBridge: {'; '.join(failures)}")
        self.failures = failures


class EventPublisher:
    """Publishes analysis events to one bus, retrying entries EventBridge refused."""

    def __init__(
        self,
        bus_name: str,
        client: EventBridgeClient | None = None,
        *,
        max_attempts: int = 4,
        base_delay_seconds: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._bus_name = bus_name
        self._client = client or boto3.client("events")
        self._max_attempts = max_attempts
        self._base_delay = base_delay_seconds
        self._sleep = sleep

    def publish(self, events: Sequence[AnalysisEvent]) -> None:
        """Put every event on the bus or raise EventPublishFailed naming the ones that never made it."""
        entries = [self._entry(event) for event in events]
        for start in range(0, len(entries), _BATCH_SIZE):
            self._put_with_retries(entries[start : start + _BATCH_SIZE])

    def _entry(self, event: AnalysisEvent) -> PutEventsRequestEntryTypeDef:
        return {
            "EventBusName": self._bus_name,
            "Source": EVENT_SOURCE,
            "DetailType": event.detail_type,
            "Detail": event.model_dump_json(),
        }

    def _put_with_retries(self, pending: list[PutEventsRequestEntryTypeDef]) -> None:
        failures: list[str] = []
        for attempt in range(self._max_attempts):
            if attempt:
                self._sleep(self._base_delay * 2 ** (attempt - 1))
            response = self._client.put_events(Entries=pending)
            if response.get("FailedEntryCount", 0) == 0:
                return
            # Results are positional: the i-th result belongs to the i-th entry sent.
            retry: list[PutEventsRequestEntryTypeDef] = []
            failures = []
            for entry, result in zip(pending, response["Entries"], strict=True):
                if "ErrorCode" in result:
                    retry.append(entry)
                    failures.append(f"{entry['DetailType']}: {result['ErrorCode']} {result.get('ErrorMessage', '')}")
            pending = retry
        raise EventPublishFailed(failures)
