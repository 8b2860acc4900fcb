"""Fixtures of the rate limiter's integration tests: a fresh limiter table per test on the session moto server."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from tests.bench.bench_limiter import create_limiter_table

if TYPE_CHECKING:
    from collections.abc import Iterator

    import boto3
    from mypy_boto3_dynamodb import DynamoDBClient


@pytest.fixture
def dynamodb(boto_session: boto3.Session) -> DynamoDBClient:
    """A low-level DynamoDB client on the moto server."""
    return boto_session.client("dynamodb")


@pytest.fixture
def limiter_table(dynamodb: DynamoDBClient) -> Iterator[str]:
    """A uniquely named table with the template's contract (`pk` only, TTL `expires_at`), dropped afterwards."""
    name = f"ratelimit-{uuid.uuid4().hex[:12]}"
    create_limiter_table(dynamodb, name)
    yield name
    dynamodb.delete_table(TableName=name)
