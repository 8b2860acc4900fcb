"""Routes every Lambda invoke moto sees to the warm workers (LOCAL-EMULATION §3.2, adapted to a worker pool).

Patched: `LambdaFunction.invoke` (boto3 Invoke and the Step Functions `lambda:invoke` task), its inner
`_invoke_lambda` (any other moto path), and S3's notification → Lambda call, which becomes asynchronous as in
AWS. Also gives unnamed `StartExecution` calls a UUID name, as AWS does (moto would name them `None`).
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, unquote_plus

from moto.awslambda import models as lambda_models
from moto.s3 import notifications as s3_notifications
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

if TYPE_CHECKING:
    from skin_analysis_local.stack.async_invoke import AsyncInvoker
    from skin_analysis_local.stack.workers import WorkerPool

# The Step Functions interpreter signs its calls back into moto with this access key (asl/utils/boto_client.py);
# it is how an invoke from a state machine task is told apart from a direct one in the records.
_STATE_MACHINE_ACCESS_KEY = "Credential=ak/"

_original_invoke = lambda_models.LambdaFunction.invoke
_original_invoke_lambda = lambda_models.LambdaFunction._invoke_lambda
_original_s3_invoke = s3_notifications._invoke_awslambda
_original_start_execution = StepFunctionsParserBackend.start_execution
_runtime: dict[str, Any] = {}


def install(pool: WorkerPool, invoker: AsyncInvoker) -> None:
    """Send moto's Lambda invokes to `pool` (synchronous) and `invoker` (asynchronous)."""
    _runtime.update(pool=pool, invoker=invoker)
    lambda_models.LambdaFunction.invoke = _invoke  # type: ignore[method-assign]
    lambda_models.LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
    s3_notifications._invoke_awslambda = _s3_invoke
    StepFunctionsParserBackend.start_execution = _start_execution  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore moto's own behaviour."""
    _runtime.clear()
    lambda_models.LambdaFunction.invoke = _original_invoke  # type: ignore[method-assign]
    lambda_models.LambdaFunction._invoke_lambda = _original_invoke_lambda  # type: ignore[method-assign]
    s3_notifications._invoke_awslambda = _original_s3_invoke
    StepFunctionsParserBackend.start_execution = _original_start_execution  # type: ignore[method-assign]


def _pool() -> WorkerPool | None:
    pool: WorkerPool | None = _runtime.get("pool")
    return pool


def _invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> str | bytes:
    pool = _pool()
    if pool is None or not pool.knows(self.function_name):
        return _original_invoke(self, body, request_headers, response_headers)
    event = json.loads(body) if body else {}
    signed_by = str(request_headers.get("Authorization", ""))
    source = "stepfunctions" if _STATE_MACHINE_ACCESS_KEY in signed_by else "invoke"
    if request_headers.get("X-Amz-Invocation-Type") == "Event":
        _runtime["invoker"].submit(self.function_name, event, source)
        return ""
    result = pool.invoke(self.function_name, event, source)
    if result.errored:
        response_headers["x-amz-function-error"] = "Unhandled"
    response_headers["x-amz-executed-version"] = "$LATEST"
    return json.dumps(result.payload)


def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
    pool = _pool()
    if pool is None or not pool.knows(self.function_name):
        return _original_invoke_lambda(self, event)
    payload = json.loads(event) if isinstance(event, str) else (event or {})
    result = pool.invoke(self.function_name, payload, "moto")
    return json.dumps(result.payload), result.errored, ""


def _s3_invoke(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
    pool = _pool()
    if pool is None or not pool.knows(fn_arn):
        _original_s3_invoke(account_id, event_body, fn_arn, region_name)
        return
    _runtime["invoker"].submit(fn_arn, s3_event_as_aws_sends_it(event_body), "s3")


def s3_event_as_aws_sends_it(event: dict[str, Any]) -> dict[str, Any]:
    """moto's S3 event with each key encoded as S3 encodes it: form-encoded, but "/" left as it is.

    moto encodes "/" too (`incoming%2Fa.jpg`); AWS sends `incoming/a.jpg`, and "a b.jpg" as `a+b.jpg` in both.
    A handler must `unquote_plus` the key either way.
    """
    fixed = copy.deepcopy(event)
    for record in fixed.get("Records", []):
        s3_object = record.get("s3", {}).get("object", {})
        if "key" in s3_object:
            s3_object["key"] = quote_plus(unquote_plus(s3_object["key"]), safe="/")
    return fixed


def _start_execution(
    self: Any, state_machine_arn: str, name: Any = None, execution_input: Any = None, trace_header: Any = None
) -> Any:
    return _original_start_execution(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)
