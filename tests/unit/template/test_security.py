"""Security properties of the template: least-privilege IAM, no secret in an environment, justified checkov skips.

Read from the SAM translator's output (the policies CloudFormation will create), not from our shorthand.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from skin_analysis_local.template import references, sam_transform

# Actions AWS authorizes only against "*" (no resource-level permissions): the only ones allowed a "*" resource.
_NO_RESOURCE_LEVEL = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}
# Functions that answer the state machine's task tokens: they learn the execution from a token (in a queue
# message or on the item), never from a setting, so the machine is theirs to name in a policy.
_TOKEN_ANSWERERS = {"SubmitterFunction", "WebhookFunction"}
# Managed policies SAM attaches for logs, tracing and the SQS event source; all scoped by AWS.
_EXPECTED_MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
}
_SECRET_LOOKING = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL", re.IGNORECASE)


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def _sub_texts(value: Any) -> list[str]:
    """Every Fn::Sub template string inside a value (nested Subs included)."""
    if isinstance(value, dict):
        found = []
        for key, inner in value.items():
            if key == "Fn::Sub":
                text, variables = (inner[0], inner[1]) if isinstance(inner, list) else (inner, {})
                found += [text, *_sub_texts(variables)]
            else:
                found += _sub_texts(inner)
        return found
    if isinstance(value, list):
        return [text for inner in value for text in _sub_texts(inner)]
    return []


def _named_by_sub(template: dict[str, Any]) -> dict[str, str]:
    """Resources given an explicit !Sub name (buckets, the state machine) -> that name's template string."""
    names = {}
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        name = properties.get("BucketName") or (
            properties.get("Name") if resource["Type"] == "AWS::Serverless::StateMachine" else None
        )
        if isinstance(name, dict) and isinstance(name.get("Fn::Sub"), str):
            names[logical_id] = name["Fn::Sub"]
    return names


def _resources_named(value: Any, template: dict[str, Any]) -> set[str]:
    """Logical ids a value names: by Ref/GetAtt, or by the !Sub name or ARN of an explicitly named resource."""
    found = references(value) & set(template["Resources"])
    for logical_id, name in _named_by_sub(template).items():
        if any(name in text for text in _sub_texts(value)):
            found.add(logical_id)
    return found


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _used_by(logical_id: str, template: dict[str, Any]) -> set[str]:
    """What a function is configured to touch: its environment (Globals included), event sources, destinations."""
    function = template["Resources"][logical_id]["Properties"]
    used = _resources_named(template["Globals"]["Function"]["Environment"], template)
    used |= _resources_named(function.get("Environment", {}), template)
    # Event sources the function reads from (an Api event is a route to it, not something it calls)
    sources = [event for event in function.get("Events", {}).values() if event["Type"] in {"S3", "SQS"}]
    used |= _resources_named(sources, template)
    used |= _resources_named(function.get("EventInvokeConfig", {}), template)
    if logical_id in _TOKEN_ANSWERERS:
        used.add("AnalysisStateMachine")
    return used


def _overreach(template: dict[str, Any], translated: dict[str, Any]) -> dict[str, set[str]]:
    """Per function, the resources its policies name that its settings and event sources do not."""
    found = {}
    for logical_id in _functions(template):
        role = translated["Resources"][f"{logical_id}Role"]
        named = set().union(*(_resources_named(s["Resource"], template) for s in _statements(role)))
        if extra := named - _used_by(logical_id, template):
            found[logical_id] = extra
    return found


def test_every_function_policy_names_only_resources_the_function_is_configured_to_use(
    template: dict[str, Any], translated: dict[str, Any]
) -> None:
    assert _overreach(template, translated) == {}


def test_a_policy_on_a_resource_the_function_does_not_use_is_caught(template: dict[str, Any]) -> None:
    # Given finalize granted the partners table, which none of its settings name
    broken = copy.deepcopy(template)
    policies = broken["Resources"]["FinalizeFunction"]["Properties"]["Policies"]
    policies.append({"DynamoDBReadPolicy": {"TableName": {"Ref": "PartnersTable"}}})
    # Then the check names it
    assert _overreach(broken, sam_transform(broken)) == {"FinalizeFunction": {"PartnersTable"}}


def test_every_function_can_reach_what_it_is_configured_to_use(
    template: dict[str, Any], translated: dict[str, Any]
) -> None:
    # Least privilege must not break the function: a resource in its settings with no policy is a runtime 403.
    # The layer (code) and the parameters it reads are not IAM resources.
    for logical_id in _functions(template):
        role = translated["Resources"][f"{logical_id}Role"]
        named = set().union(*(_resources_named(s["Resource"], template) for s in _statements(role)))
        needed = _used_by(logical_id, template) - {"SharedLayer", f"{logical_id}"}
        assert needed <= named, f"{logical_id} has no policy for {needed - named}"


def test_no_wildcard_resource_where_a_name_is_known(translated: dict[str, Any]) -> None:
    roles = {k: r for k, r in translated["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    assert roles
    for logical_id, role in roles.items():
        for statement in _statements(role):
            if "*" in _as_list(statement["Resource"]):
                actions = set(_as_list(statement["Action"]))
                assert actions <= _NO_RESOURCE_LEVEL, f"{logical_id}: {actions - _NO_RESOURCE_LEVEL} on *"
            assert statement["Effect"] == "Allow" or "Condition" in statement
            assert not any(action in {"*", "iam:*", "s3:*", "dynamodb:*"} for action in _as_list(statement["Action"]))
        assert set(role["Properties"].get("ManagedPolicyArns", [])) <= _EXPECTED_MANAGED, logical_id


def test_the_state_machine_names_only_what_its_definition_uses(
    template: dict[str, Any], translated: dict[str, Any]
) -> None:
    machine = template["Resources"]["AnalysisStateMachine"]["Properties"]
    used = _resources_named(machine["DefinitionSubstitutions"], template) | _resources_named(
        machine["Logging"], template
    )
    role = translated["Resources"]["AnalysisStateMachineRole"]
    named = set().union(*(_resources_named(s["Resource"], template) for s in _statements(role)))
    assert named <= used, named - used


def test_no_secret_value_in_any_environment(template: dict[str, Any]) -> None:
    secrets = {k for k, r in template["Resources"].items() if r["Type"] == "AWS::SecretsManager::Secret"}
    environments = [template["Globals"]["Function"]["Environment"]["Variables"]] + [
        function["Properties"].get("Environment", {}).get("Variables", {}) for function in _functions(template).values()
    ]
    for variables in environments:
        for name, value in variables.items():
            # A secret travels as the id of its Secrets Manager secret, read at cold start; never as a value
            assert not re.search(r"resolve:(secretsmanager|ssm-secure)", str(value)), name
            for parameter in references(value) & set(template["Parameters"]):
                assert not template["Parameters"][parameter].get("NoEcho"), f"{name} passes {parameter}"
                assert not _SECRET_LOOKING.search(parameter), f"{name} passes {parameter}"
            if _SECRET_LOOKING.search(name):
                assert name.endswith("_SECRET_ID"), f"{name} looks like it carries a secret"
                assert value in ({"Ref": secret} for secret in secrets), f"{name} is not a secret's id"


def _checkov_skips(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (logical_id, skip)
        for logical_id, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]


def test_every_checkov_skip_is_justified(template: dict[str, Any]) -> None:
    skips = _checkov_skips(template)
    assert skips
    for logical_id, skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (logical_id, skip)
        # A justification says why, in a sentence: not "n/a" or "skip"
        assert len(skip.get("comment", "").split()) >= 6, f"{logical_id} skips {skip['id']} without a reason"
