"""The template as CloudFormation will see it: translated by SAM, acyclic, and wired the way DESIGN §2 says."""

from __future__ import annotations

import copy
import graphlib
import json
import re
from typing import Any

from skin_analysis_local.template import PROJECT_ROOT, dependency_graph, sam_transform

ASL_PATH = PROJECT_ROOT / "statemachine" / "analysis.asl.json"


def _cycle(cfn: dict[str, Any]) -> list[str] | None:
    try:
        graphlib.TopologicalSorter(dependency_graph(cfn)).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


def test_translated_template_has_no_dependency_cycle(translated: dict[str, Any]) -> None:
    assert _cycle(translated) is None


def test_cycle_detector_catches_the_trap_cfn_lint_misses(template: dict[str, Any]) -> None:
    # Given the trap of DESIGN §2: a function the machine invokes names the machine by !Ref
    broken = copy.deepcopy(template)
    variables = broken["Resources"]["CheckStatusFunction"]["Properties"]["Environment"]["Variables"]
    variables["STATE_MACHINE_ARN"] = {"Ref": "AnalysisStateMachine"}
    # When it is translated, Then the dependency graph has a cycle
    cycle = _cycle(sam_transform(broken))
    assert cycle is not None
    assert "AnalysisStateMachine" in cycle


def test_every_function_has_a_handler_module(template: dict[str, Any]) -> None:
    functions = {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert len(functions) >= 7
    for logical_id, resource in functions.items():
        properties = resource["Properties"]
        module, function = properties["Handler"].split(".")
        source = (PROJECT_ROOT / properties["CodeUri"] / f"{module}.py").read_text()
        assert f"def {function}(" in source, logical_id


def test_asl_placeholders_match_definition_substitutions(template: dict[str, Any]) -> None:
    machine = template["Resources"]["AnalysisStateMachine"]["Properties"]
    placeholders = set(re.findall(r"\$\{(\w+)\}", ASL_PATH.read_text()))
    assert placeholders == set(machine["DefinitionSubstitutions"])


def test_state_machine_is_named_and_logs_errors_without_execution_data(template: dict[str, Any]) -> None:
    machine = template["Resources"]["AnalysisStateMachine"]["Properties"]
    assert machine["Name"] == {"Fn::Sub": "${AWS::StackName}-analysis"}
    assert machine["Type"] == "STANDARD"
    assert machine["Logging"]["Level"] == "ERROR"
    assert machine["Logging"]["IncludeExecutionData"] is False


def test_every_callback_wait_is_bounded() -> None:
    states = json.loads(ASL_PATH.read_text())["States"]
    callbacks = {name: s for name, s in states.items() if str(s.get("Resource", "")).endswith(".waitForTaskToken")}
    assert callbacks, "the machine waits for the submitter and the webhook"
    for name, state in callbacks.items():
        assert "TimeoutSeconds" in state or "TimeoutSecondsPath" in state, name


def test_wait_for_webhook_uses_the_sdk_integration_with_the_race_condition() -> None:
    wait = json.loads(ASL_PATH.read_text())["States"]["Wait For Webhook"]
    assert wait["Resource"] == "arn:aws:states:::aws-sdk:dynamodb:updateItem.waitForTaskToken"
    assert wait["Parameters"]["ConditionExpression"] == "attribute_not_exists(webhook_at)"


def test_uploads_trigger_ingest_on_prefixes_only(template: dict[str, Any]) -> None:
    events = template["Resources"]["IngestFunction"]["Properties"]["Events"]
    rules = [event["Properties"]["Filter"]["S3Key"]["Rules"] for event in events.values()]
    assert sorted(rule["Value"] for group in rules for rule in group) == ["incoming/", "partners/"]
    assert all(rule["Name"] == "prefix" for group in rules for rule in group)


def test_buckets_are_private_encrypted_and_tls_only(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    for bucket_id in ("UploadsBucket", "ResultsBucket"):
        properties = resources[bucket_id]["Properties"]
        assert all(properties["PublicAccessBlockConfiguration"].values())
        assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert "VersioningConfiguration" not in properties
        policy = resources[f"{bucket_id}Policy"]["Properties"]["PolicyDocument"]["Statement"][0]
        assert policy["Effect"] == "Deny"
        assert policy["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_partner_routes_need_a_key_and_the_webhook_does_not(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    assert resources["PartnerApi"]["Properties"]["Auth"]["ApiKeyRequired"] is True
    webhook = resources["WebhookFunction"]["Properties"]["Events"]["PerfectCorpWebhook"]["Properties"]
    assert webhook["Path"] == "/webhooks/perfect-corp"
    assert webhook["Auth"]["ApiKeyRequired"] is False
    api_paths = {e["Properties"]["Path"] for e in resources["ApiFunction"]["Properties"]["Events"].values()}
    assert all(path.startswith("/v1/") for path in api_paths)


def test_every_resource_says_why_it_exists() -> None:
    lines = (PROJECT_ROOT / "template.yaml").read_text().splitlines()
    body = lines[lines.index("Resources:") + 1 : lines.index("Outputs:")]
    # The two usage plans are one concept and share the comment above the first.
    shares_comment = {"ProUsagePlan"}
    for index, line in enumerate(body):
        match = re.fullmatch(r"  ([A-Za-z0-9]+):", line)
        if match and match.group(1) not in shares_comment:
            assert body[index - 1].strip().startswith("#"), f"{match.group(1)} has no comment saying why it exists"
