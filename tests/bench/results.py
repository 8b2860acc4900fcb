"""Merge one benchmark section into bench/results.json without touching the other sections."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_PATH = Path(__file__).resolve().parents[2] / "bench" / "results.json"


def machine_description() -> str:
    """Cores, memory and Python of this machine, so figures are read against the box that made them."""
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {mem_gib:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: a section measured on a busy machine says so."""
    return [round(load, 2) for load in os.getloadavg()]


def record(section: str, figures: dict[str, Any], path: Path = RESULTS_PATH) -> dict[str, Any]:
    """Write `figures` as `results[section]`, keeping every other section; stamps `machine` and `measured_at`."""
    results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    results[section] = figures
    results["machine"] = machine_description()
    results["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return results
