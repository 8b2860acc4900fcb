"""Integration tier: one moto server per session on a free loopback port, reached through real HTTP."""

from __future__ import annotations

import logging
import os
import uuid
from typing import TYPE_CHECKING

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from skin_analysis.models import bind_tables
from skin_analysis_local.moto_fidelity import isolate_dynamodb_requests
from skin_analysis_local.moto_speedups import speed_up_moto_server
from skin_analysis_local.tables import create_table_from_template
from skin_analysis_local.template import load_template
from tests.helpers import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Start moto's server once, point boto3 and pynamodb at it through AWS_ENDPOINT_URL, stop it at the end."""
    port = free_port()
    saved = {k: os.environ.get(k) for k in _ENV}
    # Step Functions service tasks call back into moto on MOTO_PORT; ThreadedMotoServer does not set it.
    os.environ.update(
        {
            "MOTO_PORT": str(port),
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "1",
        }
    )
    isolate_dynamodb_requests()
    speed_up_moto_server()  # as `local up` runs it: the integration tier checks the speed-ups change no answer
    # The ASL interpreter logs every caught error (a timed-out wait, a failed condition) as an exception; they are
    # the state machine's normal paths, and under xdist they would flood the workers' output.
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    requests.post(
        f"{endpoint}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=5
    ).raise_for_status()
    try:
        yield endpoint
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_ENV = (
    "MOTO_PORT",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "POWERTOOLS_TRACE_DISABLED",
)


@pytest.fixture(scope="session")
def boto_session(moto_endpoint: str) -> boto3.Session:
    """A boto3 session whose clients reach the moto server (through AWS_ENDPOINT_URL)."""
    return boto3.Session(region_name=REGION)


@pytest.fixture(scope="module")
def analyses_table(boto_session: boto3.Session) -> str:
    """A fresh Analyses table built from the template's definition, with the models bound to it."""
    name = f"analyses-{uuid.uuid4().hex[:8]}"
    properties = load_template()["Resources"]["AnalysesTable"]["Properties"]
    create_table_from_template(boto_session.client("dynamodb"), properties, name)
    bind_tables(analyses=name)
    return name
