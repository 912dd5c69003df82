"""Routes on the base domain, for the central team and for finding a country's service."""

from __future__ import annotations

from typing import Any

from litestar import Router, get
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.plugins import InitPluginProtocol

import asan
from asan.api.hosts import ServedOn, on
from asan.api.schemas import TenantDirectoryEntry
from asan.db import Database
from asan.db.migrate import current_revisions
from asan.plugins import discover
from asan.tenancy import TenantRegistry


@get("/tenants", summary="Countries served by this instance", opt={"permission": "public"})
async def tenant_directory(state: State) -> list[TenantDirectoryEntry]:
    """Active tenants and the hosts they answer on; suspended ones are not listed."""
    registry: TenantRegistry = state.registry
    return [
        TenantDirectoryEntry.listing(tenant, registry.base_domain)
        for tenant in await registry.list()
        if tenant.is_active
    ]


@get(
    "/version",
    summary="Platform version, schema revision and plugins (platform operators)",
    opt={"permission": "platform.plugins"},
)
async def platform_version(state: State) -> dict[str, Any]:
    database: Database = state.database
    async with database.system_connection() as connection:
        revisions = await connection.run_sync(current_revisions)
    catalogue = discover()
    return {
        "version": asan.__version__,
        "schema": {"current": sorted(revisions), "head": sorted(state.schema_heads)},
        "plugins": [
            {
                "name": name,
                "kind": plugin.spec.kind.value,
                "distribution": plugin.distribution,
                "version": plugin.version,
            }
            for name, plugin in sorted(catalogue.installed.items())
        ],
        "broken_plugins": catalogue.broken,
    }


class PlatformApiPlugin(InitPluginProtocol):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.append(
            Router(
                "/api/v1/platform",
                route_handlers=[tenant_directory, platform_version],
                opt=on(ServedOn.PLATFORM),
                tags=["platform"],
            )
        )
        return app_config
