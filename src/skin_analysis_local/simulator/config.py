"""Everything the simulator can be told, with each guess about undocumented behaviour behind a named field.

Documented facts (limits, tiers, URL lifetimes) are constants; every field whose default is a guess is marked
GUESS and listed in docs/simulator.md so a real observation can correct it without a code change.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Self, Union, get_args, get_origin, get_type_hints

MAX_FILE_BYTES = 10 * 1024 * 1024  # "under 10 MB" read as MiB (contract §2.2); the choice is documented
RESULT_URL_TTL = 7200.0  # X-Amz-Expires=7200 on real result URLs (contract §6)
RATE_WINDOW = 300.0  # seconds, per key and per IP (contract §9)
MAX_OUTPUT_SIDE = 2560  # every output image is capped at 2560 px on the long side (contract §3.2)
DAY = 86400.0
MAX_WEBHOOK_ENDPOINTS = 10  # per account, in the provider's console (contract §7.1)
# The Standard Webhooks example schedule after the first attempt (contract §7.4), in seconds before scaling.
STANDARD_WEBHOOKS_SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 50400.0, 72000.0, 86400.0)


class AuthErrorVariant(StrEnum):
    """Which of the three documented 401 bodies to send (contract §5.1)."""

    SPEC = "spec"  # {"status":401,"error":"Invalid API key"}
    INVALID_API_KEY = "invalid_api_key"  # error_code InvalidApiKey (live, feature-cost)
    INVALID_ACCESS_TOKEN = "invalid_access_token"  # noqa: S105  (a variant name) error_code InvalidAccessToken (live, client/credit)


class MissingUploadMode(StrEnum):
    """What a task does when its `file_id` was created but its bytes were never PUT (contract §2.4)."""

    TASK_ERROR = "task_error"  # create succeeds, the task ends in error unknown_internal_error
    CREATE_500 = "create_500"  # the create itself answers 500 unknown_internal_error


@dataclass(frozen=True)
class SimulatorConfig:
    """The simulator's settings; `with_overrides` takes `name=value` strings from the CLI's `--set`."""

    api_keys: tuple[str, ...] = ("sk-sim-test",)
    inactive_keys: tuple[str, ...] = ()
    expired_keys: tuple[str, ...] = ()
    auth_error_variant: AuthErrorVariant = AuthErrorVariant.SPEC  # GUESS: which body skin endpoints send
    delay: float = 5.0  # seconds a task stays running
    delay_jitter: float = 1.0  # ± seconds, only when delay > 0
    seed: int = 0  # seeds the jitter, so runs are repeatable
    rate_limit: int = 250  # requests per `rate_window`, per key and per IP
    rate_window: float = RATE_WINDOW  # seconds; a scaled limit (25 per 30 s) keeps a burst bench to minutes
    rate_limit_counts_rejected: bool = False  # GUESS: whether 429-ed requests fill the window too
    initial_units: float = 1000.0  # per API key (each key is its own account)
    upload_url_ttl: float = 3600.0  # GUESS: presigned PUT lifetime (undocumented)
    max_long_side: int = 4096  # GUESS: error_exceed_max_image_size trigger ("up to 4096" vs "no limit")
    unpolled_window: float | None = None  # GUESS: running task expires if unpolled this long (None: never)
    retention: float = DAY  # finished tasks stay queryable (24 h per schema; 30 days per RETENTION)
    strict_params: bool = False  # GUESS: unexpected top-level keys (and pf_camera_kit on v2.0) → 400 BadRequest
    strict_version_paths: bool = False  # GUESS: polling a v2.0 task on v2.1 (or back) → Invalid task ID
    missing_upload: MissingUploadMode = MissingUploadMode.TASK_ERROR
    zip_results_bare_string: bool = False  # GUESS: results "<url>" (OpenAPI example) instead of {url}
    zip_skin_type_nested: bool = True  # GUESS: score_info skin_type as region map (False: a bare string)
    omit_error_message: bool = False  # GUESS: leave error_message out of engine-error bodies (seen live)
    polling_interval_ms: int | None = None  # GUESS: add data.polling_interval to running bodies (V1 had it)
    download_max_bytes: int = 20 * 1024 * 1024  # GUESS: src_file_url size cap
    download_timeout: float = 10.0  # GUESS: src_file_url time cap (connect and whole body)
    public_url: str | None = None  # base of minted URLs; default http://<bound host>:<port>
    webhook_urls: tuple[str, ...] = ()  # endpoints notified of every terminal transition (any key's task)
    webhook_secret: str | None = None  # whsec_...; None: one is generated at start (GET /_sim/webhooks)
    webhook_secret_unpadded: bool = True  # GUESS: generated secrets without `=` padding, like the docs' example
    webhook_require_https: bool = False  # the console takes HTTPS only; the local stack listens on plain HTTP
    webhook_timeout: float = 15.0  # GUESS: seconds per delivery attempt (Standard Webhooks: 15-30 s)
    webhook_retry_delays: tuple[float, ...] = STANDARD_WEBHOOKS_SCHEDULE  # GUESS: waits before each retry
    webhook_backoff_scale: float = 0.01  # compresses the retry waits (0.01: 5 s → 0.05 s, 24 h → 14.4 min)
    fixtures: dict[str, str] = field(default_factory=dict)  # image sha256 → outcome (engine code or marker)

    def with_overrides(self, pairs: dict[str, str]) -> Self:
        """A copy with fields set from strings (`unpolled_window=30`, `strict_params=true`, `x=none`)."""
        hints = get_type_hints(type(self))
        known = {f.name for f in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        for name, raw in pairs.items():
            if name not in known:
                raise ValueError(f"unknown simulator setting {name!r}; see docs/simulator.md")
            changes[name] = _parse(hints[name], raw)
        return dataclasses.replace(self, **changes)

    def as_values(self) -> dict[str, Any]:
        """Every field as a JSON value, as `GET /_sim/config` shows it and `with_values` reads it back."""
        return {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}

    def with_values(self, values: dict[str, Any]) -> Self:
        """A copy with fields set from JSON values (the control API's `PATCH /_sim/config`)."""
        return self.with_overrides({name: _as_text(value) for name, value in values.items()})


def _as_text(value: Any) -> str:
    """A JSON value as the string `with_overrides` parses."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(_as_text(item) for item in value)
    if isinstance(value, dict):
        return ",".join(f"{key}:{item}" for key, item in value.items())
    return str(value)


def _parse(hint: Any, raw: str) -> Any:
    options = get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)
    if type(None) in options and raw.lower() in ("none", "null", ""):
        return None
    target = next(option for option in options if option is not type(None))
    if target is bool:
        return raw.lower() in ("1", "true", "yes", "on")
    if get_origin(target) is tuple:
        item_type = get_args(target)[0]
        return tuple(item_type(item.strip()) for item in raw.split(",") if item.strip())
    if get_origin(target) is dict:
        return dict(item.split(":", 1) for item in raw.split(",") if item)
    return target(raw)
