"""What a report shows, read from a stack: each analysis's item and its objects under `analyses/<id>/`.

Separate from the HTML (render.py) so any command can read analyses the same way, locally or on AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

    from skin_analysis_local.target import StackTarget


@dataclass(frozen=True)
class GatheredAnalysis:
    """One analysis as stored: its item (plain JSON types; None if unknown), normalized photo and masks."""

    analysis_id: str
    item: dict[str, Any] | None
    photo: bytes | None = None
    masks: dict[str, bytes] = field(default_factory=dict)  # mask name -> bytes, as named in `mask_keys`
    mask_keys: dict[str, str] = field(default_factory=dict)  # mask name -> object key (its extension)
    upload: bytes | None = None  # the photo as uploaded, only when there is no normalized one (a rejected upload)


def _plain(value: Any) -> Any:
    """DynamoDB's Decimals and sets as JSON types."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list | set | tuple):
        return [_plain(inner) for inner in value]
    return value


def read_item(dynamodb: DynamoDBClient, table: str, analysis_id: str) -> dict[str, Any] | None:
    """The analysis item with plain values (strongly consistent), or None."""
    found = dynamodb.get_item(TableName=table, Key={"analysis_id": {"S": analysis_id}}, ConsistentRead=True)
    if "Item" not in found:
        return None
    deserializer = TypeDeserializer()
    return {name: _plain(deserializer.deserialize(value)) for name, value in found["Item"].items()}


def _object(s3: S3Client, bucket: str, key: str) -> bytes | None:
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            return None  # erased or expired by the lifecycle rule: the report says so
        raise


def gather(target: StackTarget, analysis_ids: Iterable[str]) -> list[GatheredAnalysis]:
    """Each analysis's item, normalized photo and masks, in the order asked."""
    dynamodb: DynamoDBClient = target.client("dynamodb")
    s3: S3Client = target.client("s3")
    gathered = []
    for analysis_id in analysis_ids:
        item = read_item(dynamodb, target.table, analysis_id)
        if item is None:
            gathered.append(GatheredAnalysis(analysis_id, None))
            continue
        photo_key = item.get("normalized_key")
        photo = _object(s3, target.results_bucket, photo_key) if photo_key else None
        mask_keys: dict[str, str] = item.get("mask_keys") or {}
        masks = {name: data for name, key in mask_keys.items() if (data := _object(s3, target.results_bucket, key))}
        upload = None
        if photo is None and item.get("source_bucket") and item.get("source_key"):
            upload = _object(s3, item["source_bucket"], item["source_key"])
        gathered.append(GatheredAnalysis(analysis_id, item, photo, masks, mask_keys, upload))
    return gathered
