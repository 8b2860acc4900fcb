"""moto with `speed_up_moto_server` answers as before: transactions still commit or roll back whole, and
executions of one definition still each read their own input through the paths compiled once.

The conftest's server runs with the speed-ups (as `local up` does); these tests pin the ones that keep something
between requests: the rollback copy of TransactWriteItems (on a table that has other items and a range key), and
the JSONPaths Step Functions compiles once and evaluates against every execution's data.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import boto3
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.literals import ReturnValueType
    from mypy_boto3_stepfunctions import SFNClient


@pytest.fixture(scope="module")
def dynamodb(boto_session: boto3.Session) -> DynamoDBClient:
    return boto_session.client("dynamodb")


@pytest.fixture(scope="module", params=["hash", "hash+range"])
def table(request: pytest.FixtureRequest, dynamodb: DynamoDBClient) -> str:
    name = f"speedups-{request.param.replace('+', '-')}-{uuid.uuid4().hex[:8]}"
    keys: list[Any] = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attributes: list[Any] = [{"AttributeName": "pk", "AttributeType": "S"}]
    if request.param == "hash+range":
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attributes.append({"AttributeName": "sk", "AttributeType": "S"})
    dynamodb.create_table(
        TableName=name, KeySchema=keys, AttributeDefinitions=attributes, BillingMode="PAY_PER_REQUEST"
    )
    return name


def _key(table: str, pk: str) -> dict[str, Any]:
    key: dict[str, Any] = {"pk": {"S": pk}}
    if "range" in table:
        key["sk"] = {"S": "0"}
    return key


def _items(dynamodb: DynamoDBClient, table: str) -> dict[str, dict[str, Any]]:
    return {item["pk"]["S"]: item for item in dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]}


def test_a_cancelled_transaction_leaves_every_item_as_it_was(dynamodb: DynamoDBClient, table: str) -> None:
    # Given items the transaction names (one updated in place, one replaced) and one it does not
    for pk in ("updated", "replaced", "bystander"):
        dynamodb.put_item(TableName=table, Item={**_key(table, pk), "version": {"N": "1"}})
    before = _items(dynamodb, table)

    # When a transaction updates, replaces and creates, then fails its last condition
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": _key(table, "updated"),
                        "UpdateExpression": "SET version = :two, extra = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Put": {"TableName": table, "Item": {**_key(table, "replaced"), "version": {"N": "2"}}}},
                {"Put": {"TableName": table, "Item": {**_key(table, "created"), "version": {"N": "2"}}}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": _key(table, "bystander"),
                        "ConditionExpression": "version = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
            ]
        )

    # Then it was cancelled for that condition, and no write of it is left
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _items(dynamodb, table) == before

    # And the table still takes writes to the items the rollback put back
    dynamodb.update_item(
        TableName=table,
        Key=_key(table, "updated"),
        UpdateExpression="SET version = :three",
        ExpressionAttributeValues={":three": {"N": "3"}},
    )
    assert _items(dynamodb, table)["updated"]["version"] == {"N": "3"}
    dynamodb.delete_item(TableName=table, Key=_key(table, "updated"))


def test_a_committed_transaction_keeps_all_its_writes(dynamodb: DynamoDBClient, table: str) -> None:
    # Given an item to update
    dynamodb.put_item(TableName=table, Item={**_key(table, "committed"), "version": {"N": "1"}})

    # When a transaction updates it and creates another
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": table,
                    "Key": _key(table, "committed"),
                    "UpdateExpression": "SET version = :two",
                    "ConditionExpression": "version = :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":two": {"N": "2"}},
                }
            },
            {"Put": {"TableName": table, "Item": {**_key(table, "committed-new"), "version": {"N": "1"}}}},
        ]
    )

    # Then both writes are there
    items = _items(dynamodb, table)
    assert items["committed"]["version"] == {"N": "2"}
    assert items["committed-new"]["version"] == {"N": "1"}


# Every kind of path a state evaluates: InputPath, a Parameters value, a context path, ResultPath and OutputPath.
_PATHS_DEFINITION = {
    "StartAt": "Pick",
    "States": {
        "Pick": {
            "Type": "Pass",
            "InputPath": "$.order",
            "Parameters": {"item.$": "$.item.name", "execution.$": "$$.Execution.Name"},
            "ResultPath": "$.picked",
            "OutputPath": "$.picked",
            "End": True,
        }
    },
}


def _output(sfn: SFNClient, execution_arn: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while (execution := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not finish"
        time.sleep(0.05)
    assert execution["status"] == "SUCCEEDED", execution
    output: dict[str, Any] = json.loads(execution["output"])
    return output


def test_executions_of_one_definition_each_read_their_own_input(boto_session: boto3.Session) -> None:
    # Given a state machine whose paths are compiled once, by its first execution
    sfn: SFNClient = boto_session.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"speedups-paths-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(_PATHS_DEFINITION),
        roleArn="arn:aws:iam::123456789012:role/speedups",
    )["stateMachineArn"]

    # When several executions run it on different inputs
    names = [f"run-{n}" for n in range(3)]
    runs = {
        name: sfn.start_execution(
            stateMachineArn=machine, name=name, input=json.dumps({"order": {"item": {"name": f"{name}-item"}}})
        )["executionArn"]
        for name in names
    }

    # Then each output comes from its own input and its own context
    for name, execution_arn in runs.items():
        assert _output(sfn, execution_arn) == {"item": f"{name}-item", "execution": name}


# Every attribute type, binary ones nested too: what the shape serializer would base64-encode or reformat.
_EVERY_TYPE: dict[str, Any] = {
    "a_blob": {"B": b"\x00\xffbinary"},
    "some_blobs": {"BS": [b"x", b"y"]},
    "some_strings": {"SS": ["p", "q"]},
    "some_numbers": {"NS": ["1", "2.5"]},
    "a_map": {
        "M": {"n": {"N": "3"}, "l": {"L": [{"S": "x"}, {"NULL": True}, {"BOOL": False}, {"M": {"b": {"B": b"z"}}}]}}
    },
    "a_flag": {"BOOL": True},
    "a_null": {"NULL": True},
}


@pytest.fixture
def compared_answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Each item answer the server writes is also serialized by moto's own shape walker; mismatches are listed."""
    from moto.dynamodb.responses import DynamoResult

    direct = DynamoResult.execute_result
    by_shape = direct.__wrapped__  # type: ignore[attr-defined]
    mismatches: list[str] = []
    answered: list[str] = []

    def both(self: DynamoResult, context: Any) -> Any:
        expected, written = by_shape(self, context), direct(self, context)
        operation = context.operation_model.name
        answered.append(operation)
        same_body = json.loads(expected[2] or "{}") == json.loads(written[2] or "{}")
        if (expected[0], expected[1], same_body) != (written[0], written[1], True):
            mismatches.append(f"{operation}: {expected} != {written}")
        return written

    monkeypatch.setattr(DynamoResult, "execute_result", both)
    yield mismatches
    assert {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem"} <= set(answered)


def test_item_answers_written_directly_equal_the_shape_serializers(
    dynamodb: DynamoDBClient, table: str, compared_answers: list[str]
) -> None:
    # Given items holding every attribute type
    for n in range(4):
        dynamodb.put_item(TableName=table, Item={**_key(table, f"typed-{n}"), **_EVERY_TYPE})
    key = _key(table, "typed-0")

    # When every item operation answers with items, keys, counts or consumed capacity
    read = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    dynamodb.get_item(TableName=table, Key=_key(table, "absent"))
    dynamodb.get_item(TableName=table, Key=key, ProjectionExpression="a_map.l, a_blob")
    returns: tuple[ReturnValueType, ...] = ("NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW")
    for returned in returns:
        dynamodb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET a_map.n = a_map.n + :one, another_blob = :blob ADD some_strings :s",
            ExpressionAttributeValues={":one": {"N": "1"}, ":blob": {"B": b"q"}, ":s": {"SS": ["r"]}},
            ReturnValues=returned,
        )
    dynamodb.put_item(TableName=table, Item={**key, **_EVERY_TYPE}, ReturnValues="ALL_OLD")
    deleted = dynamodb.delete_item(TableName=table, Key=_key(table, "typed-3"), ReturnValues="ALL_OLD")
    dynamodb.delete_item(TableName=table, Key=_key(table, "absent"))
    page = dynamodb.scan(TableName=table, Limit=2, ReturnConsumedCapacity="INDEXES")
    dynamodb.scan(TableName=table, FilterExpression="a_flag = :t", ExpressionAttributeValues={":t": {"BOOL": True}})
    dynamodb.query(
        TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "typed-1"}}
    )
    dynamodb.batch_get_item(RequestItems={table: {"Keys": [key, _key(table, "typed-1"), _key(table, "absent")]}})
    dynamodb.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": key}}])

    # Then each answer is what the shape serializer would have written, and binary values come back as bytes
    assert compared_answers == []
    assert read["Item"]["a_blob"] == {"B": b"\x00\xffbinary"}
    assert deleted["Attributes"]["a_map"]["M"]["l"]["L"][3] == {"M": {"b": {"B": b"z"}}}
    assert "LastEvaluatedKey" in page
