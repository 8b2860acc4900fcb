"""The installed `skin-analysis` console script, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CLI = Path(sys.executable).with_name("skin-analysis")


def test_version_is_printed() -> None:
    result = subprocess.run([CLI, "--version"], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.startswith("skin-analysis ")


def test_help_lists_the_commands() -> None:
    result = subprocess.run([CLI, "--help"], capture_output=True, text=True, check=True, timeout=60)
    assert "Usage: skin-analysis" in result.stdout
