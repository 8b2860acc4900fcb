"""Binds the models to the physical table names a function was configured with."""

from __future__ import annotations

from skin_analysis.models.analysis import Analysis
from skin_analysis.models.partner import Partner
from skin_analysis.models.task_index import TaskIndexEntry


def bind_tables(*, analyses: str | None = None, task_index: str | None = None, partners: str | None = None) -> None:
    """Point each model at its table; pynamodb reconnects when a model's table name changes."""
    if analyses is not None:
        Analysis.Meta.table_name = analyses
    if task_index is not None:
        TaskIndexEntry.Meta.table_name = task_index
    if partners is not None:
        Partner.Meta.table_name = partners
