"""Creators for the template's storage, messaging, secret and monitoring resources in moto.

Each takes the resolved properties and returns (physical id, attributes for GetAtt), as CloudFormation would.
"""

from __future__ import annotations

import json
import secrets
import string
from typing import TYPE_CHECKING, Any

from skin_analysis_local.stack.resolve import ACCOUNT_ID
from skin_analysis_local.tables import create_table_from_template

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import boto3

Created = tuple[str, dict[str, str]]

_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
)


class ResourceCreators:
    """Creates one resource type each in moto through boto3 clients of one session."""

    def __init__(
        self,
        session: boto3.Session,
        region: str,
        default_name: Callable[[str], str],
        secret_values: Mapping[str, str] | None = None,
    ) -> None:
        self._session = session
        self._region = region
        self._default_name = default_name
        self._secret_values = dict(secret_values or {})
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        """One cached client per service (building one costs tens of milliseconds)."""
        if service not in self._clients:
            self._clients[service] = self._session.client(service)  # type: ignore[call-overload]
        return self._clients[service]

    def arn(self, service: str, resource: str) -> str:
        """An ARN in moto's account and the stack's region."""
        return f"arn:aws:{service}:{self._region}:{ACCOUNT_ID}:{resource}"

    def bucket(self, logical_id: str, props: dict[str, Any]) -> Created:
        """A bucket and the notification configuration SAM generated from the functions' S3 events."""
        name = props.get("BucketName") or self._default_name(logical_id).lower()
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name)
        notifications = notification_configuration(props.get("NotificationConfiguration", {}))
        if notifications:
            s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration=notifications)
        domain = f"{name}.s3.amazonaws.com"
        return name, {"Arn": f"arn:aws:s3:::{name}", "DomainName": domain, "RegionalDomainName": domain}

    def table(self, logical_id: str, props: dict[str, Any]) -> Created:
        """A DynamoDB table named after the stack and logical id (keys, GSIs, TTL as declared)."""
        name = props.get("TableName") or self._default_name(logical_id)
        create_table_from_template(self.client("dynamodb"), props, name)
        return name, {"Arn": self.arn("dynamodb", f"table/{name}")}

    def queue(self, logical_id: str, props: dict[str, Any]) -> Created:
        """An SQS queue with its attributes and redrive policy; Ref is its URL."""
        name = props.get("QueueName") or self._default_name(logical_id)
        attributes = {
            key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
            for key in _QUEUE_ATTRIBUTES
            if key in props
        }
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        url: str = self.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        return url, {"Arn": self.arn("sqs", name), "QueueName": name, "QueueUrl": url}

    def event_bus(self, logical_id: str, props: dict[str, Any]) -> Created:
        """A custom EventBridge bus; Ref is its name."""
        name = props.get("Name") or self._default_name(logical_id)
        self.client("events").create_event_bus(Name=name)
        return name, {"Arn": self.arn("events", f"event-bus/{name}"), "Name": name}

    def rule(self, logical_id: str, props: dict[str, Any]) -> Created:
        """An EventBridge rule and its targets (schedules are fired by the local scheduler)."""
        name = props.get("Name") or self._default_name(logical_id)
        bus = props.get("EventBusName", "default")
        arguments: dict[str, Any] = {"Name": name, "EventBusName": bus, "State": props.get("State", "ENABLED")}
        if "EventPattern" in props:
            arguments["EventPattern"] = json.dumps(props["EventPattern"])
        if "ScheduleExpression" in props:
            arguments["ScheduleExpression"] = props["ScheduleExpression"]
        events = self.client("events")
        arn: str = events.put_rule(**arguments)["RuleArn"]
        targets = props.get("Targets", [])
        if targets:
            events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
        return name, {"Arn": arn}

    def secret(self, logical_id: str, props: dict[str, Any]) -> Created:
        """A secret with its given or generated value; Ref is its ARN."""
        name = props.get("Name") or self._default_name(logical_id)
        value = (
            self._secret_values.get(logical_id)
            or props.get("SecretString")
            or generated_secret(props.get("GenerateSecretString", {}))
        )
        arn: str = self.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"]
        return arn, {"Id": arn}

    def log_group(self, logical_id: str, props: dict[str, Any]) -> Created:
        """A CloudWatch log group (nothing writes to it locally; it exists so ARNs resolve)."""
        name = props.get("LogGroupName") or self._default_name(logical_id)
        self.client("logs").create_log_group(logGroupName=name)
        return name, {"Arn": self.arn("logs", f"log-group:{name}:*")}

    def topic(self, logical_id: str, props: dict[str, Any]) -> Created:
        """An SNS topic; Ref is its ARN."""
        name = props.get("TopicName") or self._default_name(logical_id)
        arn: str = self.client("sns").create_topic(Name=name)["TopicArn"]
        return arn, {"TopicArn": arn, "TopicName": name}

    def alarm(self, logical_id: str, props: dict[str, Any]) -> Created:
        """A CloudWatch alarm as declared (moto stores it; nothing evaluates it)."""
        name = props.get("AlarmName") or self._default_name(logical_id)
        arguments = {key: value for key, value in props.items() if key != "AlarmName"}
        self.client("cloudwatch").put_metric_alarm(AlarmName=name, **arguments)
        return name, {"Arn": self.arn("cloudwatch", f"alarm:{name}")}

    def usage_plan(self, logical_id: str, props: dict[str, Any]) -> Created:
        """An API Gateway usage plan attached to the REST API's stage; Ref is its id."""
        stages = [{"apiId": stage["ApiId"], "stage": stage["Stage"]} for stage in props.get("ApiStages", [])]
        arguments: dict[str, Any] = {
            "name": props.get("UsagePlanName") or self._default_name(logical_id),
            "description": props.get("Description", ""),
            "apiStages": stages,
        }
        if "Throttle" in props:
            throttle = props["Throttle"]
            arguments["throttle"] = {
                "rateLimit": float(throttle["RateLimit"]),
                "burstLimit": int(throttle["BurstLimit"]),
            }
        if "Quota" in props:
            arguments["quota"] = {"limit": int(props["Quota"]["Limit"]), "period": props["Quota"]["Period"]}
        plan_id: str = self.client("apigateway").create_usage_plan(**arguments)["id"]
        return plan_id, {}


def notification_configuration(props: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's NotificationConfiguration in the shape of the S3 API."""
    configuration: dict[str, Any] = {}
    kinds = (
        ("LambdaConfigurations", "LambdaFunctionConfigurations", "Function", "LambdaFunctionArn"),
        ("QueueConfigurations", "QueueConfigurations", "Queue", "QueueArn"),
    )
    for cfn_key, api_key, cfn_target, api_target in kinds:
        for entry in props.get(cfn_key, []):
            item: dict[str, Any] = {api_target: entry[cfn_target], "Events": [entry["Event"]]}
            rules = entry.get("Filter", {}).get("S3Key", {}).get("Rules", [])
            if rules:
                item["Filter"] = {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
            configuration.setdefault(api_key, []).append(item)
    if "EventBridgeConfiguration" in props:
        configuration["EventBridgeConfiguration"] = {}
    return configuration


def generated_secret(spec: dict[str, Any]) -> str:
    """What Secrets Manager's GenerateSecretString makes (alphanumeric when ExcludePunctuation is set)."""
    alphabet = string.ascii_letters + string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    password = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "GenerateStringKey" not in spec:
        return password
    document = json.loads(spec.get("SecretStringTemplate", "{}"))
    document[spec["GenerateStringKey"]] = password
    return json.dumps(document)
