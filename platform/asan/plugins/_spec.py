"""What a plugin declares about itself, and the notifier interface.

The plugin API is versioned (:data:`PLUGIN_API_VERSION`): a plugin says which
version it was written for, and a platform refuses plugins of another major
version instead of failing at the first call.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from asan.plugins._settings import Setting

if TYPE_CHECKING:
    from asan.testing.connector_contract import ContractHarness

PLUGIN_API_VERSION = 1


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
class PluginConfig:
    """What a factory gets: whose plugin it is and its checked, secret-resolved settings."""

    tenant: str
    agency: str | None
    """The agency a connector serves (None for notifiers)."""
    settings: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PluginSpec:
    """The object an ``asan.plugins`` entry point names."""

    name: str
    kind: PluginKind
    summary: str
    factory: Callable[[PluginConfig], object]
    """Builds the plugin for one tenant (and agency) from its settings."""
    settings: tuple[Setting, ...] = ()
    api_version: int = PLUGIN_API_VERSION
    contract: Callable[[], AbstractAsyncContextManager[ContractHarness]] | None = None
    """Connectors: a fake agency to run ``asan.testing``'s contract kit against."""
    channels: tuple[str, ...] = ("email", "sms")
    """Notifiers: which of the applicant's contacts they can reach, in order of preference
    (``email``, ``sms``); an applicant with none of them is not sent anything."""
    stand_in: Callable[[Mapping[str, Any]], AbstractContextManager[object]] | None = None
    """Connectors, for demos: given a tenant's (secret-resolved) settings that point at a
    loopback address, a context manager that runs a local stand-in of the agency there, which
    accepts what those settings send and decides applications after a short delay."""
