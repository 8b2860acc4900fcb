"""Analysis options of an upload: quality and dst_actions from object metadata, else the stack defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from skin_analysis.errors import SkinAnalysisError
from skin_analysis.provider.actions import validate_actions
from skin_analysis.provider.errors import InvalidActions
from skin_analysis.quality import Quality

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# boto3 returns user metadata without the x-amz-meta- prefix, lowercased.
QUALITY_METADATA = "skin-quality"
ACTIONS_METADATA = "skin-actions"


class InvalidOptions(SkinAnalysisError):
    """Raised when an upload's metadata asks for an unknown quality or invalid dst_actions."""


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """What to analyse: a quality and its distinct, validated actions."""

    quality: Quality
    dst_actions: tuple[str, ...]


def resolve_options(
    metadata: Mapping[str, str], default_quality: str, default_actions: Sequence[str]
) -> AnalysisOptions:
    """Options from `x-amz-meta-skin-quality` / `x-amz-meta-skin-actions`, falling back to the defaults."""
    raw_quality = metadata.get(QUALITY_METADATA, "").strip().lower()
    raw_actions = [a.strip() for a in metadata.get(ACTIONS_METADATA, "").split(",") if a.strip()]
    try:
        requested_quality = Quality(raw_quality) if raw_quality else None
    except ValueError:
        raise InvalidOptions(f"x-amz-meta-skin-quality is {raw_quality!r}; use 'sd' or 'hd'.") from None
    actions = raw_actions or list(default_actions)
    if not raw_actions and requested_quality is not None and requested_quality != Quality(default_quality):
        raise InvalidOptions(
            f"x-amz-meta-skin-quality is {requested_quality} but no x-amz-meta-skin-actions were given and the "
            f"default actions are {default_quality}: send actions of quality {requested_quality}."
        )
    try:
        quality, distinct = validate_actions(actions)
    except InvalidActions as exc:
        raise InvalidOptions(str(exc)) from exc
    if requested_quality is not None and quality != requested_quality:
        raise InvalidOptions(f"x-amz-meta-skin-quality is {requested_quality} but the actions are {quality} actions.")
    return AnalysisOptions(quality, distinct)
