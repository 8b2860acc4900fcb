"""EventBridge rules → Lambda and Step Functions targets, which moto raises NotImplementedError for (§3.3).

SQS, log-group and bus targets stay with moto; Lambda targets become asynchronous invokes, as in AWS.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from moto.events import models as events_models
from moto.events.utils import EventTemplateParser
from moto.stepfunctions.responses import get_backend as stepfunctions_backend
from moto.utilities.arns import parse_arn

if TYPE_CHECKING:
    from moto.events.utils import EventMessageType

    from skin_analysis_local.stack.async_invoke import AsyncInvoker

_original_send_to_targets = events_models.Rule.send_to_targets
_EMULATED = ("lambda", "states")
_runtime: dict[str, AsyncInvoker] = {}


def install(invoker: AsyncInvoker) -> None:
    """Deliver rule matches to Lambda (through `invoker`) and Step Functions targets."""
    _runtime["invoker"] = invoker
    events_models.Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore moto's own behaviour."""
    _runtime.clear()
    events_models.Rule.send_to_targets = _original_send_to_targets  # type: ignore[method-assign]


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
    return dict(event)


def deliver(target_arn: str, payload: Any, source: str) -> None:
    """Send `payload` to a Lambda function or start a state machine execution with it."""
    arn = parse_arn(target_arn)
    if arn.service == "lambda":
        _runtime["invoker"].submit(target_arn, payload, source)
    else:
        backend = stepfunctions_backend(arn.account, arn.region)
        backend.start_execution(target_arn, str(uuid.uuid4()), json.dumps(payload, default=str))


def _send_to_targets(self: Any, original_event: EventMessageType, transform_input: bool = True) -> None:
    if not self.event_pattern.matches_event(original_event):
        return
    emulated = [target for target in self.targets if parse_arn(target["Arn"]).service in _EMULATED]
    for target in emulated:
        deliver(target["Arn"], target_input(target, original_event, transform_input), "events")
    saved = self.targets
    self.targets = [target for target in saved if target not in emulated]
    try:
        _original_send_to_targets(self, original_event, transform_input)
    finally:
        self.targets = saved
