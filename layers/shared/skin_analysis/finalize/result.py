"""The finished task's result as the finalize step needs it: the scores and, per mask, how to get its bytes.

Whether the task was created with `format=json` or `format=zip` is read from the answer itself (a ZIP URL or
inline output), so a change of the stack's ResultFormat never strands tasks already in flight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from skin_analysis.provider import ProviderUnavailable, TaskState

if TYPE_CHECKING:
    from collections.abc import Callable

    from skin_analysis.provider import AnalysisResults, PerfectCorpClient, ZipResults


@dataclass(frozen=True, slots=True)
class MaskSource:
    """One mask of the result: the provider's name for it (a URL path or a ZIP member) and how to fetch it."""

    name: str
    fetch: Callable[[], bytes]


@dataclass(frozen=True, slots=True)
class ProviderResult:
    """The scores of a successful task and its masks, keyed `<concern>` or `<concern>_<region>`."""

    results: AnalysisResults
    masks: dict[str, MaskSource]
    #: Masks `results` names but the ZIP does not hold (nothing can fetch them; retrying cannot help).
    missing: tuple[str, ...] = field(default=())


def fetch_result(client: PerfectCorpClient, task_id: str) -> ProviderResult:
    """GET the task (one counted read) and, for a ZIP result, download the archive.

    Raises `AnalysisRejected` if the task ended in an engine error, `TaskExpired` if the provider no longer
    knows it, `ResultUnavailable` if the ZIP URL already expired, and `ProviderUnavailable` if the task is
    somehow still running (the state machine retries that with backoff).
    """
    status = client.get_task(task_id)
    status.raise_for_error()
    if status.state is TaskState.RUNNING:
        raise ProviderUnavailable(f"Task {task_id} is still running although its status said success; retry.")
    if status.zip_url is not None:
        return _from_zip(client.download_zip(status.zip_url))
    if status.results is None:
        raise ProviderUnavailable(f"Task {task_id} succeeded without results or a ZIP URL; retry.")
    masks = {
        name: MaskSource(urlsplit(url).path, partial(client.download, url))
        for name, url in status.results.masks().items()
    }
    return ProviderResult(status.results, masks)


def _from_zip(archive: ZipResults) -> ProviderResult:
    masks: dict[str, MaskSource] = {}
    missing: list[str] = []
    for name, member in archive.results.masks().items():
        try:
            archive.mask_bytes(member)
        except KeyError:
            missing.append(name)
            continue
        masks[name] = MaskSource(member, partial(archive.mask_bytes, member))
    return ProviderResult(archive.results, masks, tuple(missing))
