"""What a running stack leaves in its state dir, for other processes (tests, the CLI) to find it by.

Cheap to import: nothing here pulls in moto or the SAM translator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEFAULT_STATE_DIR = Path(".skin-analysis")
LOCAL_JSON = "local.json"  # written when the stack is ready, removed when it stops
OUTPUTS_JSON = "outputs.json"  # the template's Outputs as resolved locally, same lifetime
LOCAL_JSON_KEYS = (
    "aws_endpoint",
    "region",
    "uploads_bucket",
    "results_bucket",
    "table",
    "event_bus",
    "events_queue_url",
    "api_url",
    "webhook_url",
    "webhook_secret",
    "api_keys",
    "provider_url",
    "image_fixtures_url",  # the HTTPS server image_url may fetch from locally (the only allow-listed host:port)
    "image_fixtures_dir",  # the directory it serves: drop photos there
)


def read_local_json(state_dir: Path) -> dict[str, Any] | None:
    """The running stack's local.json, or None."""
    path = state_dir / LOCAL_JSON
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically, so a reader never sees half a file."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data, indent=2) + "\n")
    partial.replace(path)
