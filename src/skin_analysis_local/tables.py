"""Creates DynamoDB tables exactly as template.yaml declares them (keys, GSIs, TTL)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_CREATE_TABLE_PROPERTIES = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")


def create_table_from_template(client: DynamoDBClient, properties: dict[str, Any], table_name: str) -> None:
    """Create `table_name` with the template resource's `properties` and wait until it is active."""
    arguments = {key: properties[key] for key in _CREATE_TABLE_PROPERTIES if key in properties}
    client.create_table(TableName=table_name, **arguments)
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)
