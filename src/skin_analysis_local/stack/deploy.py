"""Creates every resource of the translated template in moto, in dependency order, as CloudFormation would.

Physical names are deterministic: the name the template gives, else `<stack>-<LogicalId>`. Functions are
registered in moto (a placeholder zip; the code runs in warm workers), and everything moto cannot run itself
(SQS event sources, schedules, async invoke settings, API routes) is collected into a `DeployedStack`.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
import zipfile
from graphlib import TopologicalSorter
from typing import TYPE_CHECKING, Any

from skin_analysis_local.stack.parameters import parameter_values
from skin_analysis_local.stack.resolve import ACCOUNT_ID, Resolver
from skin_analysis_local.stack.resources import Created, ResourceCreators
from skin_analysis_local.stack.specs import ApiRoute, AsyncConfig, DeployedStack, FunctionSpec, QueueSource, Schedule
from skin_analysis_local.template import (
    PROJECT_ROOT,
    TEMPLATE_PATH,
    dependency_graph,
    load_template,
    local_code_path,
    sam_transform,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path, PurePosixPath

    import boto3

logger = logging.getLogger(__name__)

# Resources with no local effect: IAM is not enforced by moto, and a TLS-only bucket policy would refuse the
# plain-HTTP loopback endpoint if it were. They still get a physical id so references resolve.
_NOT_CREATED = frozenset({"AWS::Lambda::Permission", "AWS::S3::BucketPolicy", "AWS::ApiGateway::Deployment"})
_INTEGRATION_FUNCTION = re.compile(r"functions/(arn:[^/]+:function:[^/:]+)(?::[^/]*)?/invocations")


def _placeholder_zip() -> bytes:
    """moto needs a deployment package; the code itself runs from the repo in a warm worker."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "code runs from the repository in a local worker\n")
    return buffer.getvalue()


def deploy_template(
    session: boto3.Session,
    *,
    stack_name: str,
    region: str,
    overrides: dict[str, str],
    on_function: Callable[[FunctionSpec], None] | None = None,
    template_path: Path = TEMPLATE_PATH,
    secret_values: Mapping[str, str] | None = None,
) -> DeployedStack:
    """Translate template.yaml with SAM, create every resource in moto and resolve the stack's Outputs.

    `secret_values` (logical id → secret string) replace generated secrets at creation, so a function that
    reads them while its worker warms up never sees a placeholder.
    """
    template = load_template(template_path)
    parameters = parameter_values(template, overrides)
    cfn = sam_transform(template, parameters, region)
    resolver = Resolver(stack_name, region, parameters)
    stack = Deployer(session, resolver, on_function, secret_values).deploy(cfn)
    stack.outputs = {name: str(resolver.resolve(output["Value"])) for name, output in cfn.get("Outputs", {}).items()}
    return stack


class Deployer:
    """Walks the template's resources in dependency order and creates each one."""

    def __init__(
        self,
        session: boto3.Session,
        resolver: Resolver,
        on_function: Callable[[FunctionSpec], None] | None = None,
        secret_values: Mapping[str, str] | None = None,
    ) -> None:
        self._resolver = resolver
        self._on_function = on_function
        self._region = resolver.region
        self._creators = ResourceCreators(session, resolver.region, self._default_name, secret_values)
        self._layers: dict[str, PurePosixPath] = {}
        self._queue_urls: dict[str, str] = {}
        self.stack = DeployedStack()
        self._by_type: dict[str, Callable[[str, dict[str, Any]], Created]] = {
            "AWS::S3::Bucket": self._creators.bucket,
            "AWS::DynamoDB::Table": self._creators.table,
            "AWS::SQS::Queue": self._queue,
            "AWS::Events::EventBus": self._creators.event_bus,
            "AWS::Events::Rule": self._rule,
            "AWS::SecretsManager::Secret": self._creators.secret,
            "AWS::Logs::LogGroup": self._creators.log_group,
            "AWS::SNS::Topic": self._creators.topic,
            "AWS::CloudWatch::Alarm": self._creators.alarm,
            "AWS::ApiGateway::UsagePlan": self._creators.usage_plan,
            "AWS::IAM::Role": self._role,
            "AWS::Lambda::LayerVersion": self._layer,
            "AWS::Lambda::Function": self._function,
            "AWS::Lambda::EventSourceMapping": self._event_source,
            "AWS::Lambda::EventInvokeConfig": self._invoke_config,
            "AWS::StepFunctions::StateMachine": self._state_machine,
            "AWS::ApiGateway::RestApi": self._rest_api,
            "AWS::ApiGateway::Stage": self._stage,
        }

    def _default_name(self, logical_id: str) -> str:
        return f"{self._resolver.stack_name}-{logical_id}"[:64]

    def deploy(self, cfn: dict[str, Any]) -> DeployedStack:
        """Create every resource of `cfn` (translated CloudFormation) and return what the runtime needs."""
        resources: dict[str, Any] = cfn["Resources"]
        unsupported = {r["Type"] for r in resources.values()} - set(self._by_type) - _NOT_CREATED
        if unsupported:
            raise ValueError(f"the local stack cannot create {', '.join(sorted(unsupported))} yet")
        for logical_id in TopologicalSorter(dependency_graph(cfn)).static_order():
            resource = resources[logical_id]
            if resource["Type"] in _NOT_CREATED:
                self._resolver.record(logical_id, logical_id)
                continue
            started = time.perf_counter()
            props = self._resolver.resolve(resource.get("Properties", {}))
            physical_id, attributes = self._by_type[resource["Type"]](logical_id, props)
            self._resolver.record(logical_id, physical_id, **attributes)
            logger.debug("%s (%s) in %.0f ms", logical_id, resource["Type"], (time.perf_counter() - started) * 1000)
        self.stack.physical_ids = dict(self._resolver.physical_ids)
        return self.stack

    def _queue(self, logical_id: str, props: dict[str, Any]) -> Created:
        url, attributes = self._creators.queue(logical_id, props)
        self._queue_urls[attributes["Arn"]] = url
        return url, attributes

    def _rule(self, logical_id: str, props: dict[str, Any]) -> Created:
        name, attributes = self._creators.rule(logical_id, props)
        if "ScheduleExpression" in props:
            targets = tuple(target["Arn"] for target in props.get("Targets", []))
            self.stack.schedules.append(Schedule(name, props["ScheduleExpression"], targets))
        return name, attributes

    def _role(self, logical_id: str, props: dict[str, Any]) -> Created:
        # Only the trust policy: moto's Lambda checks that the role exists, and nothing enforces permissions.
        name = props.get("RoleName") or self._default_name(logical_id)
        role = self._creators.client("iam").create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"])
        )["Role"]
        return name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}

    def _layer(self, logical_id: str, props: dict[str, Any]) -> Created:
        name = props.get("LayerName") or self._default_name(logical_id)
        arn = f"arn:aws:lambda:{self._region}:{ACCOUNT_ID}:layer:{name}:1"
        self._layers[arn] = local_code_path(props["Content"])
        return arn, {}

    def _function(self, logical_id: str, props: dict[str, Any]) -> Created:
        name = props.get("FunctionName") or self._default_name(logical_id)
        environment = {key: str(value) for key, value in props.get("Environment", {}).get("Variables", {}).items()}
        self._creators.client("lambda").create_function(
            FunctionName=name,
            Runtime=props.get("Runtime", "python3.12"),
            Role=props["Role"],
            Handler=props["Handler"],
            Code={"ZipFile": _placeholder_zip()},
            Timeout=int(props.get("Timeout", 3)),
            MemorySize=int(props.get("MemorySize", 128)),
            Environment={"Variables": environment},
        )
        arn = f"arn:aws:lambda:{self._region}:{ACCOUNT_ID}:function:{name}"
        self.stack.functions[name] = FunctionSpec(
            logical_id=logical_id,
            name=name,
            arn=arn,
            handler=props["Handler"],
            code_dir=PROJECT_ROOT / local_code_path(props["Code"]),
            layer_dirs=tuple(PROJECT_ROOT / self._layers[layer] for layer in props.get("Layers", [])),
            environment=environment,
            timeout=int(props.get("Timeout", 3)),
            memory_size=int(props.get("MemorySize", 128)),
        )
        if self._on_function is not None:
            self._on_function(self.stack.functions[name])
        return name, {"Arn": arn}

    def _event_source(self, logical_id: str, props: dict[str, Any]) -> Created:
        # Not created in moto: its mapping invokes inside SendMessage and ignores batch failures and concurrency.
        source_arn = props["EventSourceArn"]
        if source_arn not in self._queue_urls:
            raise ValueError(f"{logical_id}: only SQS event sources are emulated locally")
        self.stack.queue_sources.append(
            QueueSource(
                function_name=props["FunctionName"],
                queue_arn=source_arn,
                queue_url=self._queue_urls[source_arn],
                batch_size=int(props.get("BatchSize", 10)),
                maximum_concurrency=int(props.get("ScalingConfig", {}).get("MaximumConcurrency", 2)),
                report_batch_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
            )
        )
        return logical_id, {}

    def _invoke_config(self, logical_id: str, props: dict[str, Any]) -> Created:
        on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        config = AsyncConfig(int(props.get("MaximumRetryAttempts", 2)), on_failure)
        self.stack.async_configs[props["FunctionName"]] = config
        return logical_id, {}

    def _state_machine(self, logical_id: str, props: dict[str, Any]) -> Created:
        name = props.get("StateMachineName") or self._default_name(logical_id)
        definition = props["DefinitionString"]
        for key, value in props.get("DefinitionSubstitutions", {}).items():
            definition = definition.replace("${" + key + "}", str(value))
        arn: str = self._creators.client("stepfunctions").create_state_machine(
            name=name, definition=definition, roleArn=props["RoleArn"], type=props.get("StateMachineType", "STANDARD")
        )["stateMachineArn"]
        return arn, {"Arn": arn, "Name": name}

    def _rest_api(self, logical_id: str, props: dict[str, Any]) -> Created:
        name = props.get("Name") or self._default_name(logical_id)
        api_id: str = self._creators.client("apigateway").create_rest_api(name=name)["id"]
        self.stack.rest_api_id = api_id
        body = props.get("Body", {})
        self.stack.api_routes.extend(swagger_routes(body))
        binary = props.get("BinaryMediaTypes") or body.get("x-amazon-apigateway-binary-media-types", [])
        # SAM escapes "/" as "~1" in the swagger's binary media types.
        self.stack.binary_media_types = tuple(media_type.replace("~1", "/") for media_type in binary)
        return api_id, {"RootResourceId": api_id}

    def _stage(self, logical_id: str, props: dict[str, Any]) -> Created:
        # Served by the local API adapter; moto's stage would need a deployment with real integrations.
        self.stack.stage = props["StageName"]
        return props["StageName"], {}


def swagger_routes(swagger: dict[str, Any]) -> list[ApiRoute]:
    """The proxy routes of a swagger body: method, path, target function and whether an API key is required."""
    default_security = swagger.get("security", [])
    routes = []
    for path, methods in swagger.get("paths", {}).items():
        for method, operation in methods.items():
            if not isinstance(operation, dict):
                continue
            integration = operation.get("x-amazon-apigateway-integration", {})
            match = _INTEGRATION_FUNCTION.search(str(integration.get("uri", "")))
            if match is None:
                continue
            security = operation.get("security", default_security)
            api_key_required = any("api_key" in requirement for requirement in security)
            function_name = match.group(1).rsplit(":", 1)[-1]
            http_method = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
            routes.append(ApiRoute(http_method, path, function_name, api_key_required))
    return routes
