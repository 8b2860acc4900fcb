"""Intrinsic functions resolved against the local deployment, and template parameters as CloudFormation takes them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from skin_analysis_local.stack.parameters import (
    ParameterError,
    parameter_values,
    parse_overrides,
    samconfig_overrides,
    samconfig_setting,
)
from skin_analysis_local.stack.resolve import ACCOUNT_ID, Resolver, UnresolvableError

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def resolver() -> Resolver:
    resolver = Resolver("demo", "eu-west-1", {"Stage": "dev", "Budget": "240"})
    resolver.record("Queue", "http://local/queue", Arn="arn:aws:sqs:eu-west-1:123:q", QueueName="q")
    return resolver


def test_ref_gives_parameters_pseudo_parameters_and_physical_ids(resolver: Resolver) -> None:
    assert resolver.resolve({"Ref": "Stage"}) == "dev"
    assert resolver.resolve({"Ref": "AWS::Region"}) == "eu-west-1"
    assert resolver.resolve({"Ref": "AWS::AccountId"}) == ACCOUNT_ID
    assert resolver.resolve({"Ref": "Queue"}) == "http://local/queue"


def test_getatt_in_both_forms(resolver: Resolver) -> None:
    assert resolver.resolve({"Fn::GetAtt": ["Queue", "Arn"]}) == "arn:aws:sqs:eu-west-1:123:q"
    assert resolver.resolve({"Fn::GetAtt": "Queue.QueueName"}) == "q"


def test_sub_resolves_names_attributes_variables_and_keeps_literals(resolver: Resolver) -> None:
    text = "${AWS::StackName}-${Stage}-${Queue.QueueName}-${Extra}-${!Literal}"
    resolved = resolver.resolve({"Fn::Sub": [text, {"Extra": {"Ref": "Budget"}}]})
    assert resolved == "demo-dev-q-240-${Literal}"


def test_join_select_split(resolver: Resolver) -> None:
    assert resolver.resolve({"Fn::Join": ["/", ["a", {"Ref": "Stage"}]]}) == "a/dev"
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}) == "y"


def test_no_value_drops_the_property_or_list_item(resolver: Resolver) -> None:
    value = {"Keep": "yes", "Drop": {"Ref": "AWS::NoValue"}, "List": ["a", {"Ref": "AWS::NoValue"}]}
    assert resolver.resolve(value) == {"Keep": "yes", "List": ["a"]}


def test_unknown_names_and_functions_fail_loudly(resolver: Resolver) -> None:
    with pytest.raises(UnresolvableError, match="Missing"):
        resolver.resolve({"Ref": "Missing"})
    with pytest.raises(UnresolvableError, match=r"Queue\.Nope"):
        resolver.resolve({"Fn::GetAtt": ["Queue", "Nope"]})
    with pytest.raises(UnresolvableError, match="Fn::If"):
        resolver.resolve({"Fn::If": ["Cond", "a", "b"]})


TEMPLATE = {
    "Parameters": {
        "Stage": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]},
        "Budget": {"Type": "Number", "Default": 240, "MinValue": 1, "MaxValue": 250},
        "Url": {"Type": "String"},
    }
}


def test_parameters_take_defaults_then_overrides() -> None:
    values = parameter_values(TEMPLATE, {"Url": "http://x", "Budget": "100"})
    assert values == {"Stage": "dev", "Budget": "100", "Url": "http://x"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"Url": "x", "Stage": "test"}, "not one of"),
        ({"Url": "x", "Budget": "0"}, "below its MinValue"),
        ({"Url": "x", "Budget": "251"}, "above its MaxValue"),
        ({"Url": "x", "Budget": "many"}, "not a number"),
        ({"Url": "x", "Nope": "1"}, "unknown template parameters: Nope"),
        ({}, "Url has no default"),
    ],
)
def test_parameters_are_validated_as_cloudformation_would(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        parameter_values(TEMPLATE, overrides)


def test_overrides_are_name_value_pairs() -> None:
    assert parse_overrides(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}
    with pytest.raises(ParameterError):
        parse_overrides(["novalue"])


def test_samconfig_overrides_and_settings(tmp_path: Path) -> None:
    samconfig = tmp_path / "samconfig.toml"
    samconfig.write_text(
        'version = 0.1\n[default.global.parameters]\nstack_name = "app-dev"\n'
        '[default.deploy.parameters]\nregion = "eu-west-1"\nparameter_overrides = "Stage=\\"dev\\" Budget=\\"5\\""\n'
        '[prod.deploy.parameters]\nstack_name = "app-prod"\nparameter_overrides = ["Stage=prod"]\n'
    )
    assert samconfig_overrides(samconfig) == {"Stage": "dev", "Budget": "5"}
    assert samconfig_overrides(samconfig, "prod") == {"Stage": "prod"}
    assert samconfig_setting(samconfig, "stack_name") == "app-dev"
    assert samconfig_setting(samconfig, "stack_name", "prod") == "app-prod"
    assert samconfig_setting(samconfig, "region", "prod") == "eu-west-1"
    assert samconfig_overrides(tmp_path / "missing.toml") == {}
