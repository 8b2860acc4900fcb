"""What the emulated triggers deliver: SQS batches, partial failures, S3 keys, schedules, EventBridge inputs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from skin_analysis_local.stack.events_targets import target_input
from skin_analysis_local.stack.lambda_hook import s3_event_as_aws_sends_it
from skin_analysis_local.stack.pollers import messages_to_delete, sqs_event
from skin_analysis_local.stack.resources import notification_configuration
from skin_analysis_local.stack.scheduler import rate_seconds, scheduled_event
from skin_analysis_local.stack.workers import InvokeResult

BATCH = ["m1", "m2", "m3"]


def _result(payload: Any, errored: bool = False) -> InvokeResult:
    return InvokeResult(payload, errored, "req", 1.0)


def test_a_failed_invoke_keeps_the_whole_batch() -> None:
    assert messages_to_delete(BATCH, _result({"errorType": "Boom"}, errored=True), True) == []
    assert messages_to_delete(BATCH, _result({"errorType": "Boom"}, errored=True), False) == []


def test_without_partial_batch_responses_a_success_deletes_everything() -> None:
    assert messages_to_delete(BATCH, _result({"batchItemFailures": [{"itemIdentifier": "m1"}]}), False) == BATCH


@pytest.mark.parametrize("payload", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}])
def test_an_empty_partial_response_is_a_complete_success(payload: Any) -> None:
    assert messages_to_delete(BATCH, _result(payload), True) == BATCH


def test_reported_failures_stay_and_the_rest_are_deleted() -> None:
    payload = {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert messages_to_delete(BATCH, _result(payload), True) == ["m1", "m3"]


@pytest.mark.parametrize(
    "payload",
    [
        "not an object",
        {"batchItemFailures": "m1"},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"id": "m1"}]},
        {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]},
    ],
)
def test_a_malformed_partial_response_fails_the_whole_batch(payload: Any) -> None:
    assert messages_to_delete(BATCH, _result(payload), True) == []


def test_the_sqs_event_is_what_lambda_builds() -> None:
    message: Any = {
        "MessageId": "m1",
        "ReceiptHandle": "rh",
        "Body": '{"a": 1}',
        "MD5OfBody": "md5",
        "Attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "1"},
        "MessageAttributes": {"kind": {"StringValue": "x", "DataType": "String"}},
        "MD5OfMessageAttributes": "md5a",
    }
    (record,) = sqs_event([message], "arn:aws:sqs:us-east-1:1:q", "us-east-1")["Records"]
    assert record == {
        "messageId": "m1",
        "receiptHandle": "rh",
        "body": '{"a": 1}',
        "attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "1"},
        "messageAttributes": {
            "kind": {
                "stringValue": "x",
                "binaryValue": None,
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
        },
        "md5OfBody": "md5",
        "md5OfMessageAttributes": "md5a",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
        "awsRegion": "us-east-1",
    }


def test_s3_keys_are_form_encoded_with_slashes_kept_as_s3_sends_them() -> None:
    # moto encodes "/" as well; the stack sends what S3 sends
    moto_event = {"Records": [{"s3": {"object": {"key": "incoming%2Fa+b%2Bc+%C3%A9.jpg", "size": 1}}}]}
    fixed = s3_event_as_aws_sends_it(moto_event)
    assert fixed["Records"][0]["s3"]["object"]["key"] == "incoming/a+b%2Bc+%C3%A9.jpg"
    assert moto_event["Records"][0]["s3"]["object"]["key"] == "incoming%2Fa+b%2Bc+%C3%A9.jpg"


def test_the_template_notification_configuration_becomes_the_s3_api_shape() -> None:
    props = {
        "LambdaConfigurations": [
            {
                "Event": "s3:ObjectCreated:*",
                "Function": "arn:fn",
                "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "incoming/"}]}},
            }
        ],
        "EventBridgeConfiguration": {"EventBridgeEnabled": True},
    }
    assert notification_configuration(props) == {
        "LambdaFunctionConfigurations": [
            {
                "LambdaFunctionArn": "arn:fn",
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "incoming/"}]}},
            }
        ],
        "EventBridgeConfiguration": {},
    }


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(5 minutes)", 300), ("rate(1 minute)", 60), ("rate(2 hours)", 7200), ("rate(1 day)", 86400)],
)
def test_rate_expressions(expression: str, seconds: int) -> None:
    assert rate_seconds(expression) == seconds


def test_cron_expressions_are_not_emulated() -> None:
    assert rate_seconds("cron(0 12 * * ? *)") is None


def test_the_scheduled_event_names_its_rule() -> None:
    event = scheduled_event("every-5", "us-east-1", datetime(2026, 1, 1, tzinfo=UTC))
    assert (event["detail-type"], event["source"], event["time"]) == (
        "Scheduled Event",
        "aws.events",
        "2026-01-01T00:00:00Z",
    )
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/every-5"]


EVENT: Any = {
    "version": "0",
    "id": "1",
    "detail-type": "d",
    "source": "s",
    "account": "123456789012",
    "time": 1767225600.0,
    "region": "us-east-1",
    "resources": [],
    "detail": {"analysis_id": "a1"},
    "ingestion-time": 1767225600.5,
}


def test_targets_get_the_event_as_eventbridge_sends_it() -> None:
    delivered = target_input({"Arn": "arn"}, EVENT)
    assert delivered == {key: value for key, value in EVENT.items() if key != "ingestion-time"} | {
        "time": "2026-01-01T00:00:00Z"
    }


def test_a_target_gets_the_event_its_constant_input_or_its_transformed_input() -> None:
    assert target_input({"Arn": "arn", "Input": '{"fixed": true}'}, EVENT) == {"fixed": True}
    transformer = {"InputPathsMap": {"id": "$.detail.analysis_id"}, "InputTemplate": '{"analysis": "<id>"}'}
    assert target_input({"Arn": "arn", "InputTransformer": transformer}, EVENT) == {"analysis": "a1"}
