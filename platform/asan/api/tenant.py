"""Routes on a tenant's host about the tenant itself."""

from __future__ import annotations

from litestar import Router, get
from litestar.config.app import AppConfig
from litestar.di import NamedDependency
from litestar.plugins import InitPluginProtocol

from asan.api.hosts import ServedOn, on
from asan.api.schemas import TenantProfile
from asan.tenancy import TenantRecord


@get(
    "/tenant",
    sync_to_thread=False,
    summary="This tenant's public profile",
    opt={"permission": "public"},
)
def tenant_profile(tenant: NamedDependency[TenantRecord]) -> TenantProfile:
    """Names, languages (with text direction), time zone and currency of the country served here."""
    return TenantProfile.of(tenant)


class TenantApiPlugin(InitPluginProtocol):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.append(
            Router(
                "/api/v1", route_handlers=[tenant_profile], opt=on(ServedOn.TENANT), tags=["tenant"]
            )
        )
        return app_config
