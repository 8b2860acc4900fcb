"""A faithful, local stand-in for Perfect Corp's AI Skin Analysis API (see docs/simulator.md).

Never shipped to Lambda. Embed it in tests with `Simulator(config).start()` or run `skin-analysis simulator`.
"""

from skin_analysis_local.simulator.config import AuthErrorVariant, MissingUploadMode, SimulatorConfig
from skin_analysis_local.simulator.control import SimulatorControl, SimulatorControlError
from skin_analysis_local.simulator.server import Simulator
from skin_analysis_local.simulator.state import SimulatorState

__all__ = [
    "AuthErrorVariant",
    "MissingUploadMode",
    "Simulator",
    "SimulatorConfig",
    "SimulatorControl",
    "SimulatorControlError",
    "SimulatorState",
]
