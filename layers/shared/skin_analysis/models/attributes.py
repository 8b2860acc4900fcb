"""Attribute types our models need that pynamodb does not ship."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.constants import STRING

from skin_analysis.models.status import AnalysisStatus


class StatusAttribute(Attribute[AnalysisStatus]):
    """An `AnalysisStatus` stored as its plain string, so DynamoDB conditions and GSIs see `RUNNING` etc."""

    attr_type = STRING

    def serialize(self, value: AnalysisStatus) -> str:
        """Store the enum's value."""
        return AnalysisStatus(value).value

    def deserialize(self, value: Any) -> AnalysisStatus:
        """Read the enum back."""
        return AnalysisStatus(value)
