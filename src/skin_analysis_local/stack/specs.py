"""What the deployment hands the runtime: functions, their triggers and the stack's named resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function as the worker runs it."""

    logical_id: str
    name: str
    arn: str
    handler: str
    code_dir: Path
    layer_dirs: tuple[Path, ...]
    environment: dict[str, str]
    timeout: int
    memory_size: int


@dataclass(frozen=True)
class QueueSource:
    """An SQS event source mapping (the poller replaces moto's, which ignores most of these settings)."""

    function_name: str
    queue_arn: str
    queue_url: str
    batch_size: int
    maximum_concurrency: int
    report_batch_item_failures: bool


@dataclass(frozen=True)
class Schedule:
    """An EventBridge rule with a ScheduleExpression (moto never fires them)."""

    rule_name: str
    expression: str
    target_arns: tuple[str, ...]


@dataclass(frozen=True)
class AsyncConfig:
    """EventInvokeConfig: retries of asynchronous invokes and where exhausted events go."""

    maximum_retry_attempts: int = 2
    on_failure_arn: str | None = None


@dataclass(frozen=True)
class ApiRoute:
    """One method of the REST API's swagger, proxied to a function."""

    method: str
    path: str
    function_name: str
    api_key_required: bool


@dataclass
class DeployedStack:
    """Everything `local up` needs after the template's resources exist in moto."""

    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    queue_sources: list[QueueSource] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    async_configs: dict[str, AsyncConfig] = field(default_factory=dict)
    api_routes: list[ApiRoute] = field(default_factory=list)
    rest_api_id: str = ""
    stage: str = ""
    binary_media_types: tuple[str, ...] = ()
    physical_ids: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
