"""Bearer-key authentication with the provider's three 401 body variants (contract §5.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skin_analysis_local.simulator.config import AuthErrorVariant
from skin_analysis_local.simulator.wire import Response, api_error

if TYPE_CHECKING:
    from skin_analysis_local.simulator.config import SimulatorConfig

_PREFIX = "Bearer "
_UNAUTHORIZED = 401


def bearer_key(authorization: str | None) -> str | None:
    """The key of `Authorization: Bearer <key>` (exactly one space, no angle brackets), else None."""
    if authorization is None or not authorization.startswith(_PREFIX):
        return None
    key = authorization.removeprefix(_PREFIX)
    return key if key and " " not in key and not key.startswith("<") else None


def check(config: SimulatorConfig, key: str | None) -> Response | None:
    """None when the key may call the API, else the 401 to send."""
    if key in config.inactive_keys:
        return api_error(_UNAUTHORIZED, "This API key is inactive.", "InactiveApiKey")
    if key in config.expired_keys:
        return api_error(_UNAUTHORIZED, "This API key has expired.", "ExpiredApiKey")
    if key is not None and key in config.api_keys:
        return None
    match config.auth_error_variant:
        case AuthErrorVariant.INVALID_API_KEY:
            return api_error(_UNAUTHORIZED, "This API key is not recognized.", "InvalidApiKey")
        case AuthErrorVariant.INVALID_ACCESS_TOKEN:
            return api_error(_UNAUTHORIZED, "Unauthorized", "InvalidAccessToken")
        case _:
            return api_error(_UNAUTHORIZED, "Invalid API key")
