"""Small pure pieces of `local up`: template reading, URLs, secrets, partners' tiers."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import pytest

from skin_analysis.partners.registry import usage_plans_by_tier
from skin_analysis_local.stack.resources import generated_secret
from skin_analysis_local.stack.runtime import localize_url, webhook_secret
from skin_analysis_local.template import load_template

if TYPE_CHECKING:
    from pathlib import Path


def test_short_form_intrinsics_become_long_form(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  A:\n"
        "    Type: X\n"
        "    Properties:\n"
        "      Ref: !Ref Stage\n"
        "      Att: !GetAtt Queue.Arn\n"
        "      Sub: !Sub '${AWS::StackName}-x'\n"
        "      SubList: !Sub ['${A}', {A: !Ref B}]\n"
        "      Join: !Join [',', [a, b]]\n"
        "      If: !If [Cond, !Ref A, !Ref AWS::NoValue]\n"
        "      Anchor: &anchor [1, 2]\n"
        "      Alias: *anchor\n"
    )
    properties = load_template(path)["Resources"]["A"]["Properties"]
    assert properties == {
        "Ref": {"Ref": "Stage"},
        "Att": {"Fn::GetAtt": ["Queue", "Arn"]},
        "Sub": {"Fn::Sub": "${AWS::StackName}-x"},
        "SubList": {"Fn::Sub": ["${A}", {"A": {"Ref": "B"}}]},
        "Join": {"Fn::Join": [",", ["a", "b"]]},
        "If": {"Fn::If": ["Cond", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]},
        "Anchor": [1, 2],
        "Alias": [1, 2],
    }


def test_a_duplicate_key_is_an_error_as_in_cloudformation(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("Resources:\n  A: {Type: X}\n  A: {Type: Y}\n")
    with pytest.raises(ValueError, match="duplicate keys"):
        load_template(path)


def test_execute_api_urls_point_at_the_loopback_api() -> None:
    base = "http://127.0.0.1:3000"
    url = "https://abc123.execute-api.us-east-1.amazonaws.com/dev/webhooks/perfect-corp"
    assert localize_url(url, "abc123", base) == "http://127.0.0.1:3000/dev/webhooks/perfect-corp"
    assert localize_url("https://abc123.execute-api.us-east-1.amazonaws.com/dev", "abc123", base) == f"{base}/dev"
    assert localize_url("http://127.0.0.1:4566/queue", "abc123", base) == "http://127.0.0.1:4566/queue"


def test_the_webhook_secret_is_a_standard_webhooks_secret() -> None:
    secret = webhook_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert webhook_secret() != secret


def test_generated_secrets_follow_generate_secret_string() -> None:
    plain = generated_secret({"PasswordLength": 32, "ExcludePunctuation": True})
    assert len(plain) == 32
    assert plain.isalnum()
    document = generated_secret(
        {"SecretStringTemplate": '{"previous": null}', "GenerateStringKey": "current", "PasswordLength": 40}
    )
    assert document.startswith('{"previous": null, "current": "')


def test_usage_plans_are_found_by_tier_from_the_outputs() -> None:
    outputs = {"BasicUsagePlanId": "p1", "ProUsagePlanId": "p2", "ApiUrl": "https://x"}
    assert usage_plans_by_tier(outputs) == {"basic": "p1", "pro": "p2"}
