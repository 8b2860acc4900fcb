"""The simulator as a child process of `local up`: `python -m skin_analysis_local.simulator.child HOST PORT`.

It imports everything at once, then reads its settings (one JSON object, SimulatorConfig field → value) from stdin,
so the imports overlap with the parent's own boot. It answers one line on stdout, `{"url": ...}` or
`{"error": ...}`, serves, and stops when stdin reaches end of file: when the parent closes it, or dies.
"""

from __future__ import annotations

import json
import logging
import signal
import sys

from skin_analysis_local.simulator.config import SimulatorConfig
from skin_analysis_local.simulator.server import Simulator


def main() -> None:
    """Serve on HOST PORT with the settings read from stdin, until stdin closes."""
    # Ctrl-C reaches the whole process group; the parent decides when we stop (by closing stdin).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host, port = sys.argv[1], int(sys.argv[2])
    settings = sys.stdin.readline()
    if not settings:
        return
    try:
        simulator = Simulator(SimulatorConfig().with_values(json.loads(settings)))
        url = simulator.start(port=port, host=host)
    except (ValueError, OSError) as error:
        _answer({"error": str(error)})
        return
    _answer({"url": url})
    try:
        sys.stdin.read()  # blocks until the parent closes our stdin or exits
    finally:
        simulator.stop()


def _answer(message: dict[str, str]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
