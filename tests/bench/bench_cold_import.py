"""Bench: each handler module's cold import, in a fresh interpreter with the function's own environment.

`python -m tests.bench.bench_cold_import` starts a local stack (its moto serves what a handler reads at import,
such as the webhook secret), then for every function runs `python -X importtime -P -c "import app"` RUNS times
with the environment and PYTHONPATH (code dir, then the layer) the stack gives the function's workers. The figure
per function is the median cumulative import time of `app`: every module it pulls in plus its module-level code
(settings, clients, a secret read), which is what a Lambda cold start pays before the first invoke. `heaviest`
lists the direct imports of `app` that cost most in the median run, to show what is worth making lazy.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import boto3

from tests.bench.results import load_average, record
from tests.bench.stack import bench_stack

RUNS = 7
ROOT = Path(__file__).resolve().parents[2]
# As the local stack's workers do: the venv's editable-install finder is not in a Lambda environment.
_IMPORT_APP = (
    "import sys; sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in getattr(f, '__module__', '')]"
    "; import app"
)
_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def import_times(stderr: str) -> tuple[float, dict[str, float]]:
    """The cumulative import of `app` (ms) and of each of its direct imports, from `-X importtime` output."""
    children: dict[str, float] = {}
    # importtime prints a module after everything it imported, indented two spaces per level under its importer:
    # `app`'s direct imports are the rows at depth one since the previous top-level row.
    for line in stderr.splitlines():
        if not (match := _IMPORTTIME.match(line)):
            continue
        _, cumulative, indent, name = match.groups()
        if not indent and name == "app":
            return int(cumulative) / 1000, children
        if not indent:
            children = {}
        elif len(indent) == 2:
            children[name] = int(cumulative) / 1000
    raise ValueError("no import of app in the output")


def cold_import(root: Path, function: str, env: dict[str, str]) -> tuple[float, dict[str, float]]:
    """One fresh interpreter importing `function`'s handler module from the tree at `root`, as Lambda would."""
    code_dir = root / "functions" / function
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-P", "-c", _IMPORT_APP],
        env={**env, "PYTHONPATH": f"{code_dir}:{root / 'layers' / 'shared'}"},
        cwd=code_dir,
        capture_output=True,
        text=True,
        check=True,
    )
    return import_times(completed.stderr)


def function_environments(info: dict[str, Any]) -> dict[str, dict[str, str]]:
    """functions/<dir> name → the environment the stack gives that function's workers (PYTHONPATH aside)."""
    client = boto3.client(
        "lambda",
        endpoint_url=info["aws_endpoint"],
        region_name=info["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    configured = client.list_functions()["Functions"]
    environments: dict[str, dict[str, str]] = {}
    for code_dir in sorted(path for path in (ROOT / "functions").iterdir() if (path / "app.py").is_file()):
        key = code_dir.name.replace("_", "")
        [function] = [f for f in configured if f"{key}function" in f["FunctionName"].lower()]
        environments[code_dir.name] = {
            **function.get("Environment", {}).get("Variables", {}),
            "AWS_ENDPOINT_URL": info["aws_endpoint"],
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_REGION": info["region"],
            "AWS_DEFAULT_REGION": info["region"],
            "AWS_LAMBDA_FUNCTION_NAME": function["FunctionName"],
            "POWERTOOLS_TRACE_DISABLED": "1",
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
        }
    return environments


def export_tree(revision: str, into: Path) -> Path:
    """The functions and the layer as they were at `revision` (git archive: the working tree is not touched)."""
    archive = subprocess.run(
        ["git", "archive", revision, "functions", "layers/shared"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def medians(runs: list[tuple[float, dict[str, float]]]) -> tuple[float, dict[str, float]]:
    """The median import of `app` and, from the run closest to it, the five heaviest direct imports."""
    median_ms = statistics.median(app_ms for app_ms, _ in runs)
    _, direct = min(runs, key=lambda run: abs(run[0] - median_ms))
    heaviest = {module: round(ms, 1) for module, ms in sorted(direct.items(), key=lambda kv: -kv[1])[:5]}
    return round(median_ms, 1), heaviest


def main() -> None:
    """Measure every function, print and record; `--baseline REV` also measures REV's code in the same run.

    Runs are interleaved (each function in turn, and with a baseline, each tree in turn), so a load change on
    the machine hits every figure alike.
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", metavar="REV", help="a git revision to compare with (e.g. before a change)")
    args = parser.parse_args()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as tmp, bench_stack() as (stack, _):
        trees = {"current": ROOT} | ({"baseline": export_tree(args.baseline, Path(tmp))} if args.baseline else {})
        environments = function_environments(stack.info)
        runs: dict[tuple[str, str], list[tuple[float, dict[str, float]]]] = {}
        for _ in range(RUNS):
            for name, env in environments.items():
                for tree, root in trees.items():
                    if (root / "functions" / name / "app.py").is_file():  # a baseline may predate the function
                        runs.setdefault((tree, name), []).append(cold_import(root, name, env))
    measured = {key: medians(values) for key, values in runs.items()}
    figures = {name: measured["current", name][0] for name in environments}
    details: dict[str, Any] = {
        "runs": RUNS,
        "heaviest": {name: measured["current", name][1] for name in environments},
        "load_avg_before": load_before,
        "load_avg_after": load_average(),
    }
    if args.baseline:
        details["baseline"] = {"revision": args.baseline} | {
            name: measured["baseline", name][0] for name in environments if ("baseline", name) in measured
        }
    print(json.dumps({"cold_import_ms": figures, **details}, indent=2))
    record("cold_import_ms", figures)
    record("cold_import", details)


if __name__ == "__main__":
    main()
