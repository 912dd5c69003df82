"""Central team: every tenant at a glance, one tenant in detail, suspending and resuming.

The figures come from ``asan.tenancy.overview`` (one platform-scope read for
the overview, the tenant's own scope for its page); status changes go through
``TenantRegistry.set_status``, which records them in the tenant's audit trail.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from admin_console.rendering import is_htmx, redirect, render
from asan.api.hosts import ServedOn, on
from asan.i18n import gettext
from asan.identity.api import signed_in
from asan.plugins import named_plugins
from asan.tenancy import TenantRegistry, TenantStatus
from asan.tenancy.overview import tenant_details, tenants_overview

TENANTS = {**on(ServedOn.PLATFORM), "permission": "platform.tenants"}
STATUS_FILTERS = ("active", "suspended")


def registry_of(request: Request[Any, Any, Any]) -> TenantRegistry:
    registry: TenantRegistry = request.app.state.registry
    return registry


async def actor_of(request: Request[Any, Any, Any]) -> str:
    """Who acts, as the audit trail names them (the guard has made sure someone signed in)."""
    return (await signed_in(request)).name


@get("/tenants", opt=TENANTS)
async def tenants(request: Request[Any, Any, Any]) -> Response[str]:
    """Every tenant with its catalogue, coverage and last change; ``?status=`` narrows the list."""
    status = request.query_params.get("status", "")
    records = await registry_of(request).list()
    shown = [r for r in records if r.status == status] if status in STATUS_FILTERS else records
    figures = await tenants_overview(request.app.state.database, shown)
    context = {
        "rows": figures,
        "status": status if status in STATUS_FILTERS else "",
        "total": len(records),
        "base_domain": registry_of(request).base_domain,
    }
    if is_htmx(request):
        return await render(request, "console/platform/_tenant_table.html", context)
    return await render(request, "console/platform/tenants.html", context)


@get("/tenants/{code:str}", opt=TENANTS)
async def tenant_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[str]:
    """One tenant in full: its settings, figures per language, plugins, latest changes."""
    record = await registry_of(request).get(code)
    details = await tenant_details(request.app.state.database, record)
    return await render(
        request,
        "console/platform/tenant.html",
        {
            "details": details,
            "hosts": record.hosts(registry_of(request).base_domain),
            "plugins": sorted(named_plugins(record.plugin_settings).items()),
        },
    )


@post("/tenants/{code:str}/suspend", opt=TENANTS)
async def suspend(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[str]:
    record = await registry_of(request).set_status(
        code, TenantStatus.SUSPENDED, actor=await actor_of(request)
    )
    notice = gettext(
        "{code} is suspended: its sites and API answer that the service is unavailable. "
        "Nothing of its data was removed.",
        code=record.code,
    )
    return redirect(request, f"/console/tenants/{record.code}", notice=notice)


@post("/tenants/{code:str}/resume", opt=TENANTS)
async def resume(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[str]:
    record = await registry_of(request).set_status(
        code, TenantStatus.ACTIVE, actor=await actor_of(request)
    )
    notice = gettext("{code} is served again on all its hosts.", code=record.code)
    return redirect(request, f"/console/tenants/{record.code}", notice=notice)


ROUTES = [tenants, tenant_page, suspend, resume]
