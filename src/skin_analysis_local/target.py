"""Which stack a CLI command talks to: the running local stack, or a deployed one on AWS.

Every command that reads or drives a stack (`report`, `demo`, `submit`, `status`, `replay`, `doctor`) resolves
its target here, with the same three options (the ones `skin-analysis partner` already uses):

    from skin_analysis_local.target import RegionOption, StackNameOption, StateDirOption, target_or_exit

    def status(..., state_dir: StateDirOption = DEFAULT_STATE_DIR, stack_name: StackNameOption = None,
               region: RegionOption = None) -> None:
        target = target_or_exit(state_dir, stack_name, region)  # resolve_target, or "error: ..." and exit 1
        s3 = target.client("s3")            # endpoint and credentials already right for local or AWS
        target.table, target.uploads_bucket, target.results_bucket, target.event_bus, target.api_url
        target.outputs["StateMachineArn"]   # any template Output, as resolved (locally: outputs.json)
        target.local_info                   # local.json (api_keys, provider_url, ...) or None on AWS
        target.environment                  # env vars for libraries that read them (pynamodb): local only

Rules:
- `--stack-name NAME`: a deployed stack, found by its CloudFormation outputs with the default boto3 credentials;
  region from `--region`, else the current directory's samconfig.toml `region` (of `config_env`, as `sam
  deploy` reads it), else the AWS config.
- otherwise: the local stack running from `--state-dir` (its local.json and outputs.json).
- neither: `TargetNotFound`, whose message says how to start or name one.

Cheap to import: boto3 is imported only when a target is resolved.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from skin_analysis_local.stack.parameters import samconfig_setting
from skin_analysis_local.stack.statedir import OUTPUTS_JSON, read_local_json

if TYPE_CHECKING:
    from collections.abc import Iterator

    import boto3

StateDirOption = Annotated[
    Path, typer.Option("--state-dir", help="The local stack's state dir (ignored with --stack-name).")
]
StackNameOption = Annotated[
    str | None,
    typer.Option("--stack-name", help="A deployed stack's name: work on AWS with the default credentials."),
]
RegionOption = Annotated[
    str | None, typer.Option("--region", help="The AWS stack's region (default: samconfig.toml, then your AWS config).")
]

# Credentials moto accepts; only ever sent to the local stack's endpoint.
_LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
# The Output that tells this project's stack from any other.
_SIGNATURE_OUTPUT = "AnalysesTableName"


class TargetNotFound(Exception):
    """Raised when neither a running local stack nor the named AWS stack can be found."""


@dataclass(frozen=True)
class StackTarget:
    """A stack's resources (its template Outputs) and how to reach them."""

    description: str
    region: str | None
    outputs: dict[str, str]
    endpoint_url: str | None = None
    local_info: dict[str, Any] | None = None
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        """Whether this is the local stack (moto behind `endpoint_url`)."""
        return self.local_info is not None

    @property
    def table(self) -> str:
        """The Analyses table."""
        return self.outputs["AnalysesTableName"]

    @property
    def uploads_bucket(self) -> str:
        """Where photos are dropped (`incoming/`)."""
        return self.outputs["UploadsBucketName"]

    @property
    def results_bucket(self) -> str:
        """Where `analyses/<id>/` (normalized photo, masks) lives."""
        return self.outputs["ResultsBucketName"]

    @property
    def event_bus(self) -> str:
        """The stack's EventBridge bus."""
        return self.outputs["EventBusName"]

    @property
    def api_url(self) -> str:
        """The partner REST API's stage URL."""
        return self.outputs["ApiUrl"]

    def session(self) -> boto3.Session:
        """A boto3 session for this target (moto's credentials for the local stack)."""
        import boto3  # noqa: PLC0415

        if self.is_local:
            return boto3.Session(
                aws_access_key_id=_LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=_LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                region_name=self.region,
            )
        return boto3.Session(region_name=self.region)

    def client(self, service: Any) -> Any:
        """A boto3 client of `service` on this target's endpoint (typed by the caller: `S3Client = ...`)."""
        return self.session().client(service, endpoint_url=self.endpoint_url)

    @contextmanager
    def environment_applied(self) -> Iterator[None]:
        """For the block, the process environment points at this target (everything it changed is put back).

        pynamodb takes its endpoint, region and credentials from the environment (it has no client to pass in):
        the local stack's endpoint and credentials, or a deployed stack's region.
        """
        wanted = dict(self.environment)
        if self.region and not wanted:
            wanted["AWS_DEFAULT_REGION"] = os.environ.get("AWS_DEFAULT_REGION", self.region)
        saved = {name: os.environ.get(name) for name in wanted}
        os.environ.update(wanted)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def local_target(state_dir: Path) -> StackTarget:
    """The local stack running from `state_dir`."""
    info = read_local_json(state_dir)
    outputs_path = state_dir / OUTPUTS_JSON
    if info is None or not outputs_path.is_file():
        raise TargetNotFound(
            f"no local stack is running from {state_dir}: start `skin-analysis local up` (or pass --state-dir), "
            "or name a deployed stack with --stack-name"
        )
    outputs: dict[str, str] = json.loads(outputs_path.read_text())
    endpoint, region = info["aws_endpoint"], info["region"]
    return StackTarget(
        description=f"local stack at {endpoint}",
        region=region,
        outputs=outputs,
        endpoint_url=endpoint,
        local_info=info,
        environment={**_LOCAL_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": region},
    )


def aws_target(stack_name: str, region: str | None = None, config_env: str = "default") -> StackTarget:
    """A deployed stack, from its CloudFormation outputs."""
    import boto3  # noqa: PLC0415
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    region = region or samconfig_setting(Path("samconfig.toml"), "region", config_env)
    session = boto3.Session(region_name=region)
    try:
        [stack] = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    except (BotoCoreError, ClientError) as error:
        raise TargetNotFound(f"stack {stack_name} not found: {error}") from error
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    if _SIGNATURE_OUTPUT not in outputs:
        raise TargetNotFound(f"stack {stack_name} has no {_SIGNATURE_OUTPUT} output: is it this project's stack?")
    return StackTarget(
        description=f"stack {stack_name} in {session.region_name}", region=session.region_name, outputs=outputs
    )


def resolve_target(
    *, state_dir: Path, stack_name: str | None = None, region: str | None = None, config_env: str = "default"
) -> StackTarget:
    """The AWS stack `stack_name` if given, else the local stack running from `state_dir`."""
    if stack_name:
        return aws_target(stack_name, region, config_env)
    return local_target(state_dir)


def target_or_exit(state_dir: Path, stack_name: str | None, region: str | None) -> StackTarget:
    """`resolve_target` for a command: prints why on stderr and exits 1 when there is no such stack."""
    try:
        return resolve_target(state_dir=state_dir, stack_name=stack_name, region=region)
    except TargetNotFound as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
