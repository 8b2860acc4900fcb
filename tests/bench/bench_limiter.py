"""Bench: the limiter under saturation from several processes against a moto server, at a scaled budget.

`python -m tests.bench.bench_limiter` starts its own moto server, creates the limiter table, runs creates that
saturate the budget plus a steady stream of reads from separate processes (each with its own boto3 client),
records the moment each permit came back (when the caller would send its request) and writes the `limiter`
section of bench/results.json. The load generator (`run_load`) is shared with the integration tests.
"""

from __future__ import annotations

import logging
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import TYPE_CHECKING

import boto3

from skin_analysis.ratelimit import (
    DynamoDBRateLimiter,
    Kind,
    RateBudgetExhausted,
    RateLimitConfig,
    Ring,
    key_identity,
    max_in_any_window,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

REGION = "us-east-1"
BENCH_CONFIG = RateLimitConfig(budget=50, window_s=10.0, read_reserve=10, safety_margin_s=0.2)
CREATE_PROCESSES = 4
READ_INTERVAL_S = 1.1  # a steady poll stream a little under the reserve's 1 read per second
RUN_S = 70.0  # six whole windows after the first


def dynamodb_client(endpoint: str) -> DynamoDBClient:
    """A low-level DynamoDB client bound to `endpoint` with fake credentials."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_limiter_table(client: DynamoDBClient, table_name: str) -> None:
    """The table contract of the template: `pk` (S) only, on demand, TTL on `expires_at`."""
    client.create_table(
        TableName=table_name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """One load-generating worker: what it asks for, against which table, from when to when."""

    endpoint: str
    table_name: str
    key_id: str
    config: RateLimitConfig
    kind: Kind
    start_at: float
    end_at: float
    interval_s: float = 0.0  # 0: ask again as soon as a permit comes back (saturate)
    max_wait_s: float = 60.0


@dataclass(frozen=True, slots=True)
class Grant:
    """One permit as the caller saw it: asked for at `asked_at`, stamped at `granted_at`, back at `sent_at`."""

    kind: Kind
    ring: Ring
    asked_at: float
    granted_at: float
    sent_at: float

    @property
    def wait_s(self) -> float:
        """How long the caller waited for its permit."""
        return self.sent_at - self.asked_at


def run_load(spec: LoadSpec, client: DynamoDBClient | None = None) -> list[Grant]:
    """Take permits of one kind until `end_at` and return them; builds its own client unless given one."""
    limiter = DynamoDBRateLimiter(
        spec.table_name, spec.key_id, spec.config, client=client or dynamodb_client(spec.endpoint)
    )
    # A fresh interpreter's first calls resolve endpoints and open connections: done before the start, or the
    # first permits would be stamped long before they come back and look early against the next ones.
    limiter.headroom()
    grants: list[Grant] = []
    next_at = spec.start_at
    time.sleep(max(0.0, spec.start_at - time.time()))
    while (now := time.time()) < spec.end_at:
        if spec.interval_s:
            time.sleep(max(0.0, next_at - now))
            next_at += spec.interval_s
        asked_at = time.time()
        try:
            permit = limiter.acquire(spec.kind, max_wait=min(spec.max_wait_s, spec.end_at - asked_at))
        except RateBudgetExhausted:
            continue
        sent_at = time.time()
        grants.append(Grant(spec.kind, permit.ring, asked_at, permit.granted_at, sent_at))
    return grants


def run_processes(specs: list[LoadSpec]) -> list[Grant]:
    """Run each spec in its own spawned process (fresh interpreter, own client) and gather every grant."""
    with ProcessPoolExecutor(max_workers=len(specs), mp_context=get_context("spawn")) as pool:
        return [grant for grants in pool.map(run_load, specs) for grant in grants]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: a reported p99 is a wait that happened)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summarize(grants: list[Grant], config: RateLimitConfig, start_at: float, end_at: float) -> dict[str, float]:
    """The figures the bench records, from real grant timestamps."""
    window = config.window_s
    sent = [g.sent_at for g in grants]
    # Utilization over whole windows after the first one: the first starts with an empty table and bursts.
    steady_from = start_at + window
    windows = math.floor((end_at - steady_from) / window)
    steady = [t for t in sent if steady_from <= t < steady_from + windows * window]
    reads = [g.wait_s for g in grants if g.kind == "read"]
    return {
        "budget": config.budget,
        "window_s": window,
        "read_reserve": config.read_reserve,
        "safety_margin_s": config.safety_margin_s,
        "max_in_any_window": max_in_any_window(sent, window),
        "max_in_any_window_stamped": max_in_any_window([g.granted_at for g in grants], window),
        "max_creates_in_any_window": max_in_any_window([g.sent_at for g in grants if g.kind == "create"], window),
        "utilization": round(len(steady) / (config.budget * windows), 4),
        "read_wait_p50_ms": round(percentile(reads, 0.5) * 1000, 1),
        "read_wait_p99_ms": round(percentile(reads, 0.99) * 1000, 1),
        "grants": len(grants),
        "reads": len(reads),
        "run_s": round(end_at - start_at, 1),
        "processes": CREATE_PROCESSES + 1,
    }


def main() -> None:
    """Start moto, saturate the limiter from several processes, record and print the figures."""
    from moto.server import ThreadedMotoServer

    from tests.bench.results import record
    from tests.helpers import free_port

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per DynamoDB call otherwise
    from skin_analysis_local.moto_fidelity import isolate_dynamodb_requests

    isolate_dynamodb_requests()  # conditional writes atomic, as in DynamoDB (the limiter's bound rests on them)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        table = "bench-ratelimit"
        create_limiter_table(dynamodb_client(endpoint), table)
        start_at = time.time() + 5.0  # every process imported and waiting before the first permit
        end_at = start_at + RUN_S
        create: tuple[Kind, float] = ("create", 0.0)
        kinds = [create] * CREATE_PROCESSES + [("read", READ_INTERVAL_S)]
        specs = [
            LoadSpec(endpoint, table, key_identity("bench-key"), BENCH_CONFIG, kind, start_at, end_at, every)
            for kind, every in kinds
        ]
        grants = run_processes(specs)
    finally:
        server.stop()
    figures = summarize(grants, BENCH_CONFIG, start_at, end_at)
    record("limiter", figures)
    print(figures)
    ok = (
        figures["max_in_any_window"] <= BENCH_CONFIG.budget
        and figures["utilization"] >= 0.9
        and figures["read_wait_p99_ms"] < 1000
    )
    if not ok:
        raise SystemExit("limiter bench missed a bar (max_in_any_window, utilization or read_wait_p99_ms)")


if __name__ == "__main__":
    main()
