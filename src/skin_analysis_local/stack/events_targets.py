"""EventBridge rule targets: Lambda and Step Functions (moto raises NotImplementedError, §3.3) and SQS.

SQS is delivered here too because moto's copy of the event drops `account` and carries its internal
`ingestion-time`; targets get the event as EventBridge sends it. Lambda targets are asynchronous invokes, as in
AWS. Log-group, archive and bus targets stay with moto.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from moto.events import models as events_models
from moto.events.utils import EventTemplateParser
from moto.sqs.models import sqs_backends
from moto.stepfunctions.responses import get_backend as stepfunctions_backend
from moto.utilities.arns import parse_arn

if TYPE_CHECKING:
    from moto.events.utils import EventMessageType

    from skin_analysis_local.stack.async_invoke import AsyncInvoker

_original_send_to_targets = events_models.Rule.send_to_targets
_EMULATED = ("lambda", "states", "sqs")
_EVENT_FIELDS = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")
_runtime: dict[str, AsyncInvoker] = {}


def install(invoker: AsyncInvoker) -> None:
    """Deliver rule matches to Lambda (through `invoker`), Step Functions and SQS targets."""
    _runtime["invoker"] = invoker
    events_models.Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore moto's own behaviour."""
    _runtime.clear()
    events_models.Rule.send_to_targets = _original_send_to_targets  # type: ignore[method-assign]


def aws_event(event: EventMessageType | dict[str, Any]) -> dict[str, Any]:
    """The event as EventBridge delivers it: its nine fields, `time` in ISO 8601."""
    shaped: dict[str, Any] = {field: event[field] for field in _EVENT_FIELDS if field in event}  # type: ignore[literal-required]
    if isinstance(shaped.get("time"), int | float):
        shaped["time"] = datetime.fromtimestamp(shaped["time"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return shaped


def target_input(target: dict[str, Any], event: EventMessageType, transform_input: bool = True) -> Any:
    """What a target receives: its constant Input, its InputTransformer's output or the event itself."""
    if "Input" in target:
        return json.loads(target["Input"])
    if transform_input and "InputTransformer" in target:
        transformer = target["InputTransformer"]
        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,
        )
    return aws_event(event)


def deliver(target_arn: str, payload: Any, source: str, message_group_id: str | None = None) -> None:
    """Invoke a function asynchronously, start a state machine execution or send a message with `payload`."""
    arn = parse_arn(target_arn)
    body = json.dumps(payload, default=str)
    if arn.service == "lambda":
        _runtime["invoker"].submit(target_arn, payload, source)
    elif arn.service == "states":
        stepfunctions_backend(arn.account, arn.region).start_execution(target_arn, str(uuid.uuid4()), body)
    else:
        queues = sqs_backends[arn.account][arn.region]
        queues.send_message(queue_name=arn.resource_id, message_body=body, group_id=message_group_id)


def _send_to_targets(self: Any, original_event: EventMessageType, transform_input: bool = True) -> None:
    if not self.event_pattern.matches_event(original_event):
        return
    emulated = [target for target in self.targets if parse_arn(target["Arn"]).service in _EMULATED]
    for target in emulated:
        group_id = target.get("SqsParameters", {}).get("MessageGroupId")
        deliver(target["Arn"], target_input(target, original_event, transform_input), "events", group_id)
    saved = self.targets
    self.targets = [target for target in saved if target not in emulated]
    try:
        _original_send_to_targets(self, original_event, transform_input)
    finally:
        self.targets = saved
