"""What a plugin declares about itself, and the interfaces of each kind.

Agency connectors (submit, status, cancel, health) join this module with the
applications work; notifiers are here because the first first-party plugin is one.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


class PluginKind(enum.StrEnum):
    CONNECTOR = "connector"
    """Talks to one agency's system for a tenant."""
    NOTIFIER = "notifier"
    """Sends messages to citizens."""


@dataclass(frozen=True, slots=True)
class Notification:
    tenant: str
    recipient: str
    locale: str
    subject: str
    body: str


@runtime_checkable
class Notifier(Protocol):
    async def send(self, notification: Notification) -> None: ...


@dataclass(frozen=True, slots=True)
class PluginSpec:
    """The object an ``asan.plugins`` entry point names."""

    name: str
    kind: PluginKind
    summary: str
    factory: Callable[[Mapping[str, Any]], object]
    """Builds the plugin for one tenant from that tenant's settings."""
