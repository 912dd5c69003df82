"""Routes on the base domain, for the central team and for finding a country's service."""

from __future__ import annotations

from typing import Any

from litestar import Router, get
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.plugins import InitPluginProtocol

from asan.api.hosts import ServedOn, on
from asan.api.schemas import TenantDirectoryEntry
from asan.tenancy import TenantRegistry
from asan.upgrade.status import platform_status


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
    status = await platform_status(state.database, state.schema_heads, state.plugin_host.catalogue)
    return status.as_json()


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
