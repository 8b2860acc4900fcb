"""Partner administration against moto's API Gateway and DynamoDB: the registry and `skin-analysis partner`."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from skin_analysis.models import Partner, bind_tables
from skin_analysis.partners import PartnerDirectory, UnknownApiKey
from skin_analysis.partners.registry import InvalidPartnerId, PartnerAlreadyExists, PartnerRegistry, UnknownTier
from skin_analysis_local.cli import app as cli
from skin_analysis_local.stack.statedir import LOCAL_JSON, OUTPUTS_JSON
from skin_analysis_local.tables import create_table_from_template
from skin_analysis_local.template import load_template
from tests.integration.conftest import REGION

if TYPE_CHECKING:
    from pathlib import Path

    import boto3
    from mypy_boto3_apigateway import APIGatewayClient


class Stack:
    """A REST API with a stage, the two tier usage plans and a Partners table, as the template deploys them."""

    def __init__(self, session: boto3.Session, endpoint: str) -> None:
        suffix = uuid.uuid4().hex[:8]
        self.endpoint = endpoint
        self.apigateway: APIGatewayClient = session.client("apigateway")
        api = self.apigateway.create_rest_api(name=f"api-{suffix}")["id"]
        root = self.apigateway.get_resources(restApiId=api)["items"][0]["id"]
        self.apigateway.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
        self.apigateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
        self.apigateway.create_deployment(restApiId=api, stageName="dev")
        self.outputs = {
            f"{tier.title()}UsagePlanId": self.apigateway.create_usage_plan(
                name=f"{suffix}-{tier}", apiStages=[{"apiId": api, "stage": "dev"}]
            )["id"]
            for tier in ("basic", "pro")
        }
        self.outputs["PartnersTableName"] = f"partners-{suffix}"
        properties = load_template()["Resources"]["PartnersTable"]["Properties"]
        create_table_from_template(session.client("dynamodb"), properties, self.outputs["PartnersTableName"])
        bind_tables(partners=self.outputs["PartnersTableName"])
        self.registry = PartnerRegistry(
            self.apigateway, {"basic": self.outputs["BasicUsagePlanId"], "pro": self.outputs["ProUsagePlanId"]}
        )

    def keys_on_plan(self, tier: str) -> set[str]:
        plan = self.outputs[f"{tier.title()}UsagePlanId"]
        return {key["id"] for key in self.apigateway.get_usage_plan_keys(usagePlanId=plan)["items"]}

    def key_exists(self, key_id: str) -> bool:
        try:
            self.apigateway.get_api_key(apiKey=key_id)
        except self.apigateway.exceptions.NotFoundException:
            return False
        return True

    def state_dir(self, path: Path) -> Path:
        """A state dir as `local up` writes it, pointing at this moto server."""
        info = {"aws_endpoint": self.endpoint, "region": REGION}
        (path / LOCAL_JSON).write_text(json.dumps(info))
        (path / OUTPUTS_JSON).write_text(json.dumps(self.outputs))
        return path


@pytest.fixture
def stack(boto_session: boto3.Session, moto_endpoint: str) -> Stack:
    return Stack(boto_session, moto_endpoint)


def test_add_issues_a_key_on_the_tier_plan_and_records_the_partner(stack: Stack) -> None:
    # When a partner is added on the pro tier
    issued = stack.registry.add("acme", "pro")

    # Then API Gateway has an enabled key with that value, attached to the pro plan only
    key = stack.apigateway.get_api_key(apiKey=issued.record.api_key_id, includeValue=True)
    assert (key["value"], key["enabled"]) == (issued.api_key, True)
    assert issued.record.api_key_id in stack.keys_on_plan("pro")
    assert issued.record.api_key_id not in stack.keys_on_plan("basic")
    # And the API resolves that key id to the partner
    caller = PartnerDirectory().resolve(issued.record.api_key_id)
    assert (caller.partner_id, caller.tier) == ("acme", "pro")
    assert [record.partner_id for record in stack.registry.partners()] == ["acme"]


def test_add_refuses_duplicates_unknown_tiers_and_bad_ids(stack: Stack) -> None:
    stack.registry.add("acme", "basic")

    with pytest.raises(PartnerAlreadyExists):
        stack.registry.add("acme", "pro")
    with pytest.raises(UnknownTier, match="basic, pro"):
        stack.registry.add("other", "gold")
    with pytest.raises(InvalidPartnerId):
        stack.registry.add("Other/Partner", "basic")
    assert [record.partner_id for record in stack.registry.partners()] == ["acme"]


def test_a_failed_attachment_leaves_no_key_behind(stack: Stack) -> None:
    # Given API Gateway refuses the next usage-plan attachment (fault injected on the wire)
    def throttled(**_: Any) -> None:
        error = {"Error": {"Code": "TooManyRequestsException", "Message": "Too Many Requests"}}
        raise ClientError(error, "CreateUsagePlanKey")  # type: ignore[arg-type]

    stack.apigateway.meta.events.register("before-call.api-gateway.CreateUsagePlanKey", throttled)
    keys_before = {key["id"] for key in stack.apigateway.get_api_keys()["items"]}

    # When a partner is added
    with pytest.raises(ClientError):
        stack.registry.add("acme", "basic")

    # Then the key it created was deleted again, and no partner was recorded
    stack.apigateway.meta.events.unregister("before-call.api-gateway.CreateUsagePlanKey", throttled)
    assert {key["id"] for key in stack.apigateway.get_api_keys()["items"]} == keys_before
    assert stack.registry.partners() == []


def test_remove_revokes_the_keys_and_forgets_the_partner(stack: Stack) -> None:
    issued = stack.registry.add("acme", "basic")
    stack.registry.add("other", "pro")

    removed = stack.registry.remove("acme")

    assert [record.api_key_id for record in removed] == [issued.record.api_key_id]
    assert not stack.key_exists(issued.record.api_key_id)
    assert [record.partner_id for record in stack.registry.partners()] == ["other"]
    with pytest.raises(UnknownApiKey):
        PartnerDirectory().resolve(issued.record.api_key_id)
    assert stack.registry.remove("acme") == []


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_cli_adds_lists_and_removes_partners_on_the_local_stack(stack: Stack, tmp_path: Path) -> None:
    # Given a state dir of a running local stack
    state_dir = str(stack.state_dir(tmp_path))

    # When partners are added, listed and one removed through the CLI
    code, out, _ = _run("partner", "add", "acme", "--tier", "basic", "--state-dir", state_dir, "--json")
    assert code == 0, out
    added: dict[str, Any] = json.loads(out)
    assert stack.apigateway.get_api_key(apiKey=added["api_key_id"], includeValue=True)["value"] == added["api_key"]
    code, text, _ = _run("partner", "add", "globex", "--tier", "pro", "--state-dir", state_dir)
    assert code == 0
    assert "api key:" in text
    code, out, _ = _run("partner", "list", "--state-dir", state_dir, "--json")
    listed = json.loads(out)
    code, table, _ = _run("partner", "list", "--state-dir", state_dir)
    removed_code, _, _ = _run("partner", "remove", "acme", "--state-dir", state_dir)
    again_code, _, again_err = _run("partner", "remove", "acme", "--state-dir", state_dir)

    # Then each did what it says, and the key value was shown only by `add`
    assert [(entry["partner_id"], entry["tier"]) for entry in listed] == [("acme", "basic"), ("globex", "pro")]
    assert "api_key" not in listed[0]
    assert added["api_key"] not in table
    assert "acme" in table
    assert removed_code == 0
    assert not stack.key_exists(added["api_key_id"])
    assert again_code == 1
    assert "no keys" in again_err
    assert [record.partner_id for record in stack.registry.partners()] == ["globex"]
    assert Partner.count() == 1


def test_the_cli_explains_a_missing_stack_or_a_bad_request(stack: Stack, tmp_path: Path) -> None:
    code, _, err = _run("partner", "list", "--state-dir", str(tmp_path))
    assert code == 1
    assert "skin-analysis local up" in err

    state_dir = str(stack.state_dir(tmp_path))
    code, _, err = _run("partner", "add", "acme", "--tier", "gold", "--state-dir", state_dir)
    assert code == 2
    assert "gold" in err
