"""The plugin's settings: declared for the tenant bundle check, read once per connector.

The platform checks a tenant's values against :data:`SETTINGS` before the
connector is built, but the factory may also be handed settings directly (the
contract kit does), so :meth:`ConnectorSettings.from_mapping` checks again what
a wrong value would otherwise turn into a confusing failure at the first call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from asan.plugins import Setting

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_CLOCK_SKEW_SECONDS = 300
MIN_SECRET_LENGTH = 16
"""Shorter secrets can be guessed offline from one captured signature."""

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "base_url",
        "url",
        "the agency's API root; the protocol's paths (/applications, /health) are under it",
        required=True,
    ),
    Setting(
        "shared_secret",
        "text",
        "the HMAC-SHA256 key shared with the agency, signing calls both ways",
        required=True,
        secret=True,
    ),
    Setting(
        "timeout_seconds",
        "number",
        "the longest one call to the agency may take, connection included",
        default=DEFAULT_TIMEOUT_SECONDS,
        minimum=0.5,
        maximum=120,
    ),
    Setting(
        "max_clock_skew_seconds",
        "integer",
        "how far a callback's signed timestamp may be from the platform's clock",
        default=DEFAULT_MAX_CLOCK_SKEW_SECONDS,
        minimum=5,
        maximum=3600,
    ),
)


@dataclass(frozen=True, slots=True)
class ConnectorSettings:
    base_url: str
    """Without a trailing slash, so that paths join with a single one."""
    shared_secret: str = field(repr=False)
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    max_clock_skew_seconds: int = DEFAULT_MAX_CLOCK_SKEW_SECONDS

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> ConnectorSettings:
        """Settings as the factory receives them (secret resolved); ValueError names the key."""
        base_url = settings.get("base_url")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url: an http(s) URL is required")
        secret = settings.get("shared_secret")
        if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
            # Never say what the value was: only that it does not do.
            raise ValueError(
                f"shared_secret: required, at least {MIN_SECRET_LENGTH} characters "
                "(32 random bytes recommended)"
            )
        timeout = settings.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ValueError("timeout_seconds: must be a positive number")
        skew = settings.get("max_clock_skew_seconds", DEFAULT_MAX_CLOCK_SKEW_SECONDS)
        if isinstance(skew, bool) or not isinstance(skew, int) or skew <= 0:
            raise ValueError("max_clock_skew_seconds: must be a positive whole number")
        return cls(base_url.rstrip("/"), secret, float(timeout), skew)
