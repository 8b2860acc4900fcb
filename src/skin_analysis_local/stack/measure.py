"""Measures the local stack's two bars: boot to local.json (< 10 s) and warm invoke overhead (< 20 ms).

`python -m skin_analysis_local.stack.measure [--boots N] [--invokes N]` starts `skin-analysis local up` N times
in temp state dirs on free ports, as a developer would, and times warm invokes of the api function three ways:
inside the worker pool, through boto3 `Invoke` on moto, and through the REST API. Overhead is each call's wall
time minus the handler's own duration (from the invocation records), so what the handler does does not count.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import requests

from skin_analysis_local.stack.records import read_records
from skin_analysis_local.stack.statedir import LOCAL_JSON

CLI = Path(sys.executable).with_name("skin-analysis")
_WARM_UP = 3  # calls that warm the worker and open the connections before timing starts


def _start(state_dir: Path) -> tuple[subprocess.Popen[bytes], float]:
    command = [str(CLI), "local", "up", "--state-dir", str(state_dir)]
    command += ["--aws-port", "0", "--api-port", "0", "--provider-port", "0"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    while not (state_dir / LOCAL_JSON).is_file():
        if process.poll() is not None:
            raise SystemExit(f"local up exited with {process.returncode}")
        time.sleep(0.01)
    return process, time.monotonic() - started


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(30)


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 2),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max": round(ordered[-1], 2),
    }


def _api_event(probe: str) -> dict[str, Any]:
    return {
        "resource": "/v1/analyses",
        "path": "/v1/analyses",
        "httpMethod": "GET",
        "headers": {},
        "queryStringParameters": {"probe": probe},
        "requestContext": {"identity": {"apiKeyId": "measure"}, "stage": "dev"},
        "body": None,
        "isBase64Encoded": False,
    }


def _overheads(info: dict[str, Any], state_dir: Path, invokes: int) -> dict[str, dict[str, float]]:
    session = requests.Session()
    key = next(iter(info["api_keys"].values()))
    url = f"{info['api_url']}/v1/analyses"
    aws = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=info["region"])  # noqa: S106 - moto takes any
    client = aws.client("lambda", endpoint_url=info["aws_endpoint"])
    function = next(name for name in _function_names(state_dir, client) if name.endswith("ApiFunction"))
    wall: dict[str, tuple[str, float]] = {}
    for index in range(invokes + _WARM_UP):
        for path in ("api", "invoke"):
            probe = f"{path}-{uuid.uuid4().hex}"
            started = time.perf_counter()
            if path == "api":
                session.get(url, headers={"x-api-key": key}, params={"probe": probe}, timeout=30)
            else:
                client.invoke(FunctionName=function, Payload=json.dumps(_api_event(probe)).encode())
            if index >= _WARM_UP:
                wall[probe] = (path, (time.perf_counter() - started) * 1000)
    records: dict[str, dict[str, Any]] = {}
    for record in read_records(state_dir, "ApiFunction"):
        query = (record.get("event") or {}).get("queryStringParameters") or {}
        if "probe" in query:
            records[str(query["probe"])] = record
    result: dict[str, list[float]] = {"worker pool": [], "boto3 Invoke via moto": [], "REST API": []}
    for probe, (path, milliseconds) in wall.items():
        record = records[probe]
        result["REST API" if path == "api" else "boto3 Invoke via moto"].append(milliseconds - record["handler_ms"])
        result["worker pool"].append(record["duration_ms"] - record["handler_ms"])
    return {name: _summary(values) for name, values in result.items()}


def _function_names(state_dir: Path, client: Any) -> list[str]:
    return [function["FunctionName"] for function in client.list_functions()["Functions"]]


def measure(boots: int = 3, invokes: int = 50) -> dict[str, Any]:
    """Boot the stack `boots` times (timing each to local.json) and time `invokes` warm calls on the last one."""
    boot_seconds: list[float] = []
    overheads: dict[str, dict[str, float]] = {}
    for run in range(boots):
        with tempfile.TemporaryDirectory(prefix="local-stack-measure-") as directory:
            state_dir = Path(directory)
            process, seconds = _start(state_dir)
            boot_seconds.append(seconds)
            try:
                if run == boots - 1:
                    info = json.loads((state_dir / LOCAL_JSON).read_text())
                    overheads = _overheads(info, state_dir, invokes)
            finally:
                _stop(process)
    return {
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "boot_to_local_json_s": [round(seconds, 2) for seconds in boot_seconds],
        "warm_invoke_overhead_ms": overheads,
    }


def main() -> None:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--boots", type=int, default=3)
    parser.add_argument("--invokes", type=int, default=50)
    arguments = parser.parse_args()
    print(json.dumps(measure(arguments.boots, arguments.invokes), indent=2))


if __name__ == "__main__":
    main()
