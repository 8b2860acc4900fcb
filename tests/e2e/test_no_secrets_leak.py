"""After the whole e2e session's traffic, no secret is in a log: run last (tests/e2e/conftest.py orders it so).

Looks for the provider API key, every version of the webhook secret, every task token the state machine issued and
any presigned-URL signature in what the session stack wrote: every function's log streams, the stack's own
output, and the invocation records (event and answer of every invoke). A secret may appear only where it
travels by design: a task token in the submission queue's message (that is how the callback works), a presigned
upload URL in the partner API's answer (the partner needs it).
"""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from skin_analysis_local.stack.records import LOGS_DIR, read_records
from tests.e2e.pipeline import Pipeline, plain_jpeg

if TYPE_CHECKING:
    from pathlib import Path

    import boto3

_SIGNATURE = re.compile(r"X-Amz-Signature=[0-9a-fA-F]{16,}|[?&]Signature=[A-Za-z0-9%+/=]{16,}|X-Amz-Credential=")
_STACK_OUTPUT = "local-up.out"


@pytest.fixture(scope="module")
def traffic(aws: boto3.Session, local_stack: dict[str, Any], state_dir: Path) -> None:
    """Run alone, this module makes its own traffic: one analysis, so there are tokens to look for."""
    if not read_records(state_dir, "SubmitterFunction"):
        pipeline = Pipeline.observe(aws, local_stack)
        pipeline.finished(pipeline.upload(plain_jpeg((960, 720))), timeout=60)


def _secret_versions(client: Any, secret_id: str) -> list[str]:
    versions = client.list_secret_version_ids(SecretId=secret_id, IncludeDeprecated=True)["Versions"]
    return [client.get_secret_value(SecretId=secret_id, VersionId=v["VersionId"])["SecretString"] for v in versions]


@pytest.fixture(scope="module")
def secrets(traffic: None, aws: boto3.Session, local_stack: dict[str, Any], stack_outputs: dict[str, str]) -> set[str]:
    """The provider API key and every webhook secret the session used (rotations included), in each encoding."""
    client = aws.client("secretsmanager", endpoint_url=local_stack["aws_endpoint"])
    found = set(_secret_versions(client, stack_outputs["ProviderApiKeySecretArn"]))
    for document in _secret_versions(client, stack_outputs["WebhookSecretArn"]):
        for secret in json.loads(document).values():
            if secret:
                key = secret.removeprefix("whsec_")
                found |= {secret, key, base64.b64decode(key + "=" * (-len(key) % 4)).hex()}
    found.add(local_stack["webhook_secret"])
    return found


@pytest.fixture(scope="module")
def task_tokens(traffic: None, aws: boto3.Session, local_stack: dict[str, Any], state_dir: Path) -> set[str]:
    """Every token the session's executions issued: submission waits (from the queue) and webhook waits."""
    tokens = {
        json.loads(message["body"])["task_token"]
        for record in read_records(state_dir, "SubmitterFunction")
        if record["event"]
        for message in record["event"]["Records"]
    }
    dynamodb = aws.client("dynamodb", endpoint_url=local_stack["aws_endpoint"])
    for page in dynamodb.get_paginator("scan").paginate(TableName=local_stack["table"]):
        tokens |= {item["task_token"]["S"] for item in page["Items"] if "task_token" in item}
    assert tokens, "no task token was issued: nothing to look for"
    return tokens


def _log_texts(state_dir: Path) -> dict[str, str]:
    files = [*sorted((state_dir / LOGS_DIR).rglob("*.log")), state_dir / _STACK_OUTPUT]
    return {str(path.relative_to(state_dir)): path.read_text(errors="replace") for path in files if path.is_file()}


def _leaks(text: str, secrets: set[str], tokens: set[str]) -> list[str]:
    found = [f"secret {secret[:6]}..." for secret in secrets if secret in text]
    found += [f"task token {token[:8]}..." for token in tokens if token in text]
    found += [f"presigned signature {match[:24]}..." for match in _SIGNATURE.findall(text)]
    return found


def test_no_secret_token_or_signature_in_any_log(state_dir: Path, secrets: set[str], task_tokens: set[str]) -> None:
    # Given every log stream of every function and the stack's own output, after the session's traffic
    logs = _log_texts(state_dir)
    assert any(name.startswith(LOGS_DIR) and text for name, text in logs.items())
    # Then none holds the provider key, a webhook secret, a task token or a presigned URL's signature
    leaks = {name: found for name, text in logs.items() if (found := _leaks(text, secrets, task_tokens))}
    assert leaks == {}


def test_secrets_travel_in_invocations_only_where_they_must(
    state_dir: Path, secrets: set[str], task_tokens: set[str]
) -> None:
    leaks = {}
    for record in read_records(state_dir):
        # The submission message carries its execution's token; the partner API answers with the upload URL.
        event = "" if record["logical_id"] == "SubmitterFunction" else json.dumps(record["event"])
        response = "" if record["logical_id"] == "ApiFunction" else json.dumps(record["response"])
        if found := _leaks(event + response, secrets, task_tokens):
            leaks[f"{record['logical_id']} {record['request_id']}"] = found
    assert leaks == {}


def test_the_signature_pattern_finds_a_presigned_url(aws: boto3.Session, local_stack: dict[str, Any]) -> None:
    # The check above is only as good as its pattern: a real presigned URL must match it
    s3 = aws.client("s3", endpoint_url=local_stack["aws_endpoint"])
    url = s3.generate_presigned_url("get_object", Params={"Bucket": local_stack["results_bucket"], "Key": "k"})
    assert _SIGNATURE.search(url)
