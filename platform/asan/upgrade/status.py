"""The instance as it runs: release, schema revision against the code's, plugins and who uses them.

Shared by ``GET /api/v1/platform/version`` and the central team's console.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import asan
from asan.db import Database
from asan.db.migrate import current_revisions
from asan.plugins import PluginCatalogue, named_plugins
from asan.tenancy import TenantRecord


@dataclass(frozen=True, slots=True)
class PlatformStatus:
    version: str
    current: tuple[str, ...]
    """The schema revisions the database is at, sorted (empty: never migrated)."""
    heads: tuple[str, ...]
    """The revisions this code expects, sorted."""
    plugins: PluginCatalogue

    @property
    def schema_is_current(self) -> bool:
        return set(self.current) == set(self.heads)

    def as_json(self) -> dict[str, Any]:
        """The answer of ``GET /api/v1/platform/version``."""
        return {
            "version": self.version,
            "schema": {"current": list(self.current), "head": list(self.heads)},
            "plugins": [
                {
                    "name": name,
                    "kind": plugin.spec.kind.value,
                    "distribution": plugin.distribution,
                    "version": plugin.version,
                }
                for name, plugin in sorted(self.plugins.installed.items())
            ],
            "broken_plugins": self.plugins.broken,
        }


async def platform_status(
    database: Database, schema_heads: Collection[str], catalogue: PluginCatalogue
) -> PlatformStatus:
    """``catalogue``: the plugins the app found at start (``state.plugin_host.catalogue``)."""
    async with database.system_connection() as connection:
        revisions = await connection.run_sync(current_revisions)
    return PlatformStatus(
        version=asan.__version__,
        current=tuple(sorted(revisions)),
        heads=tuple(sorted(schema_heads)),
        plugins=catalogue,
    )


@dataclass(frozen=True, slots=True)
class PluginUse:
    tenant: str
    slots: tuple[str, ...]
    """Where the tenant names the plugin: agency codes, ``*`` (every agency) or ``notifier``."""


def plugin_usage(tenants: Sequence[TenantRecord]) -> dict[str, list[PluginUse]]:
    """Plugin name -> the tenants whose settings name it (installed or not), by tenant code."""
    used: dict[str, list[PluginUse]] = {}
    for tenant in sorted(tenants, key=lambda t: t.code):
        for plugin, slots in named_plugins(tenant.plugin_settings).items():
            used.setdefault(plugin, []).append(PluginUse(tenant.code, tuple(slots)))
    return used
