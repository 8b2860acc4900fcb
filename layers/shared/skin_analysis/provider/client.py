"""The Perfect Corp AI Skin Analysis client: File API, tasks, status, delete and units over one pooled session.

Configuration arrives as constructor arguments (never from the environment). Every call has a timeout.
Every counted call first asks the optional `CallBudget` for a permit; presigned PUTs and result downloads
are not counted by the provider, so they take none.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from skin_analysis.provider.actions import validate_actions
from skin_analysis.provider.mapping import (
    CallKind,
    body_of,
    error_for_response,
    error_for_transport,
    unexpected_answer,
)
from skin_analysis.provider.results import (
    CreditLot,
    FeatureCost,
    TaskStatus,
    UploadSlot,
    ZipResults,
    parse_status,
    read_zip,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from skin_analysis.quality import Quality

_READ: Literal["read"] = "read"
_CREATE: Literal["create"] = "create"


class CallBudget(Protocol):
    """A rate limiter shared by every caller; `acquire` blocks (or raises) until the call may be made."""

    def acquire(self, kind: Literal["read", "create"]) -> None:
        """Take one permit of `kind` before a counted provider call."""


class ApiVersion(StrEnum):
    """The Skin Analysis API version; v2.1 has the newer engines and accepts `pf_camera_kit`."""

    V2_0 = "v2.0"
    V2_1 = "v2.1"


class FileApi(StrEnum):
    """The File API endpoints; all three hand out a `file_id` any task version accepts (contract §2.1)."""

    UNIVERSAL = "/s2s/v2.0/file"
    SKIN_ANALYSIS_V2_0 = "/s2s/v2.0/file/skin-analysis"
    SKIN_ANALYSIS_V2_1 = "/s2s/v2.1/file/skin-analysis"


class ResultFormat(StrEnum):
    """`format` of a task: results inline (`json`) or as a ZIP download (`zip`, the provider's default)."""

    JSON = "json"
    ZIP = "zip"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to wait: to connect, for an API answer, and for a PUT or download to finish."""

    connect: float = 3.05
    read: float = 10.0
    transfer: float = 30.0


class MiniserverArgs(BaseModel):
    """Mask rendering options of a task (contract §3.2); unset options are not sent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enable_mask_overlay: bool | None = None
    enable_dark_background_hd_pore: bool | None = None
    color_dark_background_hd_pore: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f]{6}$")
    opacity_dark_background_hd_pore: float | None = Field(default=None, ge=0, le=1)
    enable_dark_background_hd_wrinkle: bool | None = None
    color_dark_background_hd_wrinkle: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f]{6}$")
    opacity_dark_background_hd_wrinkle: float | None = Field(default=None, ge=0, le=1)


@dataclass(frozen=True, slots=True)
class CreatedTask:
    """A task the provider accepted: its id and what was asked for."""

    task_id: str
    quality: Quality
    dst_actions: tuple[str, ...]


class PerfectCorpClient:
    """Calls Perfect Corp's S2S API; raises the classes of `skin_analysis.provider.errors` on failure."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        version: ApiVersion = ApiVersion.V2_1,
        file_api: FileApi | None = None,
        timeouts: Timeouts = Timeouts(),
        session: requests.Session | None = None,
        budget: CallBudget | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._auth = {"Authorization": f"Bearer {api_key}"}
        self.version = version
        self.file_api = file_api or (FileApi.SKIN_ANALYSIS_V2_1 if version is ApiVersion.V2_1 else FileApi.UNIVERSAL)
        self._timeouts = timeouts
        self._session = session or requests.Session()
        self._budget = budget

    # File API ------------------------------------------------------------------------------------------

    def create_file(self, *, content_type: str, file_name: str, file_size: int) -> UploadSlot:
        """Ask for an upload slot (one counted call); nothing is uploaded until `upload`."""
        body = {"files": [{"content_type": content_type, "file_name": file_name, "file_size": file_size}]}
        answer = self._call("file", "POST", self.file_api.value, json=body)
        try:
            item = answer["data"]["files"][0]
            request = item["requests"][0]
            return UploadSlot(
                file_id=item["file_id"],
                method=request["method"],
                url=request["url"],
                # Real responses give header values as strings, the schema example an integer.
                headers={str(k): str(v) for k, v in request["headers"].items()},
            )
        except (KeyError, IndexError, TypeError, AttributeError, ValidationError) as error:
            raise unexpected_answer("file", error) from error

    def upload(self, slot: UploadSlot, data: bytes) -> None:
        """PUT the bytes to the presigned URL with exactly the slot's headers (no Authorization, not counted)."""
        declared = slot.headers.get("Content-Length")
        if declared is not None and int(declared) != len(data):
            raise ValueError(f"upload slot expects {declared} bytes, got {len(data)}: request a new slot")
        # Drop the session's default headers (User-Agent, Accept, ...): presigned PUTs break on extras.
        headers: dict[str, str | None] = dict.fromkeys(self._session.headers)
        headers.update(slot.headers)
        self._send("upload", slot.method, slot.url, headers=headers, data=data, read=self._timeouts.transfer)

    def upload_file(self, data: bytes, *, content_type: str, file_name: str) -> str:
        """Create a slot and PUT `data` into it; return the `file_id` to pass as `src_file_id`."""
        slot = self.create_file(content_type=content_type, file_name=file_name, file_size=len(data))
        self.upload(slot, data)
        return slot.file_id

    # Tasks ---------------------------------------------------------------------------------------------

    def create_task(
        self,
        *,
        dst_actions: Sequence[str],
        src_file_id: str | None = None,
        src_file_url: str | None = None,
        result_format: ResultFormat = ResultFormat.JSON,
        miniserver_args: MiniserverArgs | None = None,
        pf_camera_kit: bool | None = None,
    ) -> CreatedTask:
        """Validate the actions, then start a task (one counted, charged-on-success call)."""
        quality, actions = validate_actions(dst_actions)
        if (src_file_id is None) == (src_file_url is None):
            raise ValueError("give exactly one of src_file_id and src_file_url")
        if pf_camera_kit is not None and self.version is not ApiVersion.V2_1:
            raise ValueError("pf_camera_kit exists on v2.1 only")
        body: dict[str, Any] = {"dst_actions": list(actions), "format": result_format.value}
        if src_file_id is not None:
            body["src_file_id"] = src_file_id
        else:
            body["src_file_url"] = src_file_url
        if miniserver_args is not None:
            body["miniserver_args"] = miniserver_args.model_dump(exclude_none=True)
        if pf_camera_kit is not None:
            body["pf_camera_kit"] = pf_camera_kit
        answer = self._call("create", "POST", self._task_path(), json=body)
        task_id = answer.get("data", {}).get("task_id") if isinstance(answer.get("data"), dict) else None
        if not isinstance(task_id, str) or not task_id:
            # The provider answered 200, so a task may exist, but we cannot know its id.
            raise unexpected_answer("create", "200 without data.task_id")
        return CreatedTask(task_id=task_id, quality=quality, dst_actions=actions)

    def get_task(self, task_id: str) -> TaskStatus:
        """GET the task's status (one counted call); an engine error is returned, see `raise_for_error`."""
        return parse_status(task_id, self._call("status", "GET", f"{self._task_path()}/{task_id}"))

    def delete_task(self, task_id: str) -> None:
        """Delete a finished task with its inputs and outputs (one counted call; no refund)."""
        self._call("delete", "POST", "/s2s/v2.0/task/delete", json={"task_id": task_id})

    # Units ---------------------------------------------------------------------------------------------

    def credit_balance(self) -> tuple[CreditLot, ...]:
        """The account's unit lots (one counted call)."""
        answer = self._call("credit", "GET", "/s2s/v1.0/client/credit")
        try:
            return tuple(
                CreditLot(id=lot["id"], type=lot["type"], amount_dec=lot["amount_dec"], expiry_ms=lot.get("expiry"))
                for lot in answer.get("results", [])
            )
        except (KeyError, TypeError, ValidationError) as error:
            raise unexpected_answer("credit", error) from error

    def feature_costs(self) -> tuple[FeatureCost, ...]:
        """Every SKU's price, following `next_token` (one counted call per page)."""
        skus: list[FeatureCost] = []
        params: dict[str, str | int] = {"page_size": 20}
        while True:
            answer = self._call("credit", "GET", "/s2s/v2.0/credit/feature-cost", params=params)
            result = answer.get("result") or {}
            try:
                skus.extend(FeatureCost.model_validate(sku) for sku in result.get("skus", []))
            except ValidationError as error:
                raise unexpected_answer("credit", error) from error
            next_token = result.get("next_token")
            if not next_token:
                return tuple(skus)
            params = {"page_size": 20, "starting_token": next_token}

    # Results -------------------------------------------------------------------------------------------

    def download(self, url: str) -> bytes:
        """Fetch a mask, resized image or ZIP by its signed URL (not counted by the provider)."""
        response = self._send("download", "GET", url, read=self._timeouts.transfer)
        return response.content

    def download_zip(self, url: str) -> ZipResults:
        """Fetch and parse a `format=zip` result."""
        return read_zip(self.download(url))

    # Plumbing ------------------------------------------------------------------------------------------

    def _task_path(self) -> str:
        return f"/s2s/{self.version.value}/task/skin-analysis"

    def _call(self, kind: CallKind, method: str, path: str, **kwargs: Any) -> Mapping[str, Any]:
        if self._budget is not None:
            self._budget.acquire(_CREATE if kind in ("create", "file") else _READ)
        response = self._send(kind, method, f"{self._base_url}{path}", headers=self._auth, **kwargs)
        body = body_of(response)
        if not body:
            raise unexpected_answer(kind, "the body is not a JSON object")
        return body

    def _send(
        self, kind: CallKind, method: str, url: str, *, read: float | None = None, **kwargs: Any
    ) -> requests.Response:
        timeout = (self._timeouts.connect, read or self._timeouts.read)
        try:
            response = self._session.request(method, url, timeout=timeout, **kwargs)
        except requests.RequestException as error:
            raise error_for_transport(kind, error) from error
        if not response.ok:
            raise error_for_response(kind, response)
        return response
