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
    import boto3
    from mypy_boto3_dynamodb import DynamoDBClient
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
