"""The webhook signing secrets: the current one and, during a rotation, the previous one.

The secret lives in Secrets Manager as `{"current": "whsec_...", "previous": "whsec_..." | null}`. It is read
through Powertools Parameters (`SecretsProvider.get(..., transform="json", max_age=...)`) with caching. When a
signature matches no cached secret, the secret is read again (at most once per `refresh_interval`), so a rotation
reaches warm environments within seconds while forged requests cannot turn every delivery into a Secrets Manager
call.
"""

from __future__ import annotations

import binascii
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from skin_analysis.settings import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

#: How long a read secret is reused before Secrets Manager is asked again.
SECRET_MAX_AGE_SECONDS = 300
#: The shortest time between two reads forced by a signature that matched no secret.
REFRESH_INTERVAL_SECONDS = 30.0
CURRENT_SLOT = "current"
PREVIOUS_SLOT = "previous"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One secret, named by its slot ("current" or "previous"), ready to verify with."""

    slot: str
    webhook: Webhook


@dataclass(frozen=True, slots=True)
class SigningKeys:
    """The secrets a delivery may be signed with, the current one first."""

    current: SigningKey
    previous: SigningKey | None = None

    def __iter__(self) -> Iterator[SigningKey]:
        yield self.current
        if self.previous is not None:
            yield self.previous

    @classmethod
    def of(cls, current: str, previous: str | None = None) -> SigningKeys:
        """Keys from `whsec_` secret strings; ConfigurationError when one is empty or not base64."""
        return cls(
            _key(CURRENT_SLOT, current),
            None if previous is None else _key(PREVIOUS_SLOT, previous),
        )


def _key(slot: str, secret: str) -> SigningKey:
    try:
        return SigningKey(slot, Webhook(secret))
    except (EmptyWebhookSecretError, binascii.Error, ValueError) as exc:
        # Never put the secret itself in the message.
        raise ConfigurationError(f"the {slot} webhook secret is not a whsec_<base64> secret") from exc


def signing_keys_from(document: Any, secret_id: str) -> SigningKeys:
    """Keys from the secret's JSON document; ConfigurationError naming what is wrong (never the values)."""
    if not isinstance(document, dict):
        raise ConfigurationError(f'secret {secret_id} must be {{"current": "whsec_...", "previous": null}}')
    current, previous = document.get("current"), document.get("previous")
    if not isinstance(current, str) or not current.strip():
        raise ConfigurationError(f'secret {secret_id} has no "current" webhook secret')
    if previous is not None and not isinstance(previous, str):
        raise ConfigurationError(f'secret {secret_id}: "previous" must be a whsec_ string or null')
    return SigningKeys.of(current.strip(), previous.strip() if previous and previous.strip() else None)


class SigningKeySource(Protocol):
    """Where the verifier gets its keys."""

    def keys(self) -> SigningKeys:
        """The keys to verify with now (cached)."""
        ...

    def refreshed(self) -> SigningKeys | None:
        """Keys read again from the store, or None when a refresh is not allowed yet."""
        ...


@dataclass(frozen=True, slots=True)
class StaticSigningKeys:
    """Fixed keys (tests, tools)."""

    signing_keys: SigningKeys

    def keys(self) -> SigningKeys:
        """The fixed keys."""
        return self.signing_keys

    def refreshed(self) -> SigningKeys | None:
        """Nothing to refresh."""
        return None


class SecretsManagerSigningKeys:
    """Keys from a Secrets Manager secret, cached by Powertools Parameters.

    Give it a `provider` built at cold start (its client is then ready before the first delivery).
    """

    def __init__(
        self,
        secret_id: str,
        *,
        provider: SecretsProvider | None = None,
        max_age: int = SECRET_MAX_AGE_SECONDS,
        refresh_interval: float = REFRESH_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secret_id = secret_id
        self._provider = provider or SecretsProvider()
        self._max_age = max_age
        self._refresh_interval = refresh_interval
        self._clock = clock
        self._last_read: float | None = None
        self._parsed: tuple[object, SigningKeys] | None = None

    def keys(self) -> SigningKeys:
        """The cached keys (read again after `max_age` seconds)."""
        return self._read(force=False)

    def refreshed(self) -> SigningKeys | None:
        """Read the secret again, unless it was read less than `refresh_interval` seconds ago."""
        if self._last_read is not None and self._clock() - self._last_read < self._refresh_interval:
            return None
        return self._read(force=True)

    def _read(self, *, force: bool) -> SigningKeys:
        document = self._provider.get(self._secret_id, transform="json", max_age=self._max_age, force_fetch=force)
        if force or self._last_read is None:
            self._last_read = self._clock()
        if self._parsed is not None and self._parsed[0] == document:
            return self._parsed[1]
        keys = signing_keys_from(document, self._secret_id)
        self._parsed = (document, keys)
        return keys
