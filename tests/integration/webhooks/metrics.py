"""Reads the metrics Powertools printed (CloudWatch embedded metric format) from captured stdout."""

from __future__ import annotations

import json
from collections import Counter


def emitted_metrics(stdout: str) -> Counter[str]:
    """Metric name (with `reason=<value>` for rejections) -> total value, over every EMF blob printed."""
    totals: Counter[str] = Counter()
    for line in stdout.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                name = metric["Name"]
                if "reason" in blob:
                    name = f"{name}[reason={blob['reason']}]"
                value = blob[metric["Name"]]
                totals[name] += int(sum(value) if isinstance(value, list) else value)
    return totals
