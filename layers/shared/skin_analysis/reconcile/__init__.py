"""The scheduled reconciler: the stuck-analysis metric, and FAILED for analyses no execution will end."""

from skin_analysis.reconcile.executions import DEFAULT_DESCRIBE_BUDGET, ExecutionLookup, ExecutionState
from skin_analysis.reconcile.sweep import Reconciler, SweepReport

__all__ = ["DEFAULT_DESCRIBE_BUDGET", "ExecutionLookup", "ExecutionState", "Reconciler", "SweepReport"]
