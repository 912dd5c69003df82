"""Central team: the platform itself: release, database schema, installed plugins and who uses them.

The same figures as ``GET /api/v1/platform/version`` (``asan.upgrade.status``),
with the migrations still to run (``asan upgrade plan``) and, per plugin, the
tenants whose settings name it.
"""

from __future__ import annotations

from typing import Any

from alembic.script.revision import RevisionError
from alembic.util import CommandError
from litestar import Request, Response, get

from admin_console.pages.platform_tenants import registry_of
from admin_console.rendering import render
from asan.api.hosts import ServedOn, on
from asan.upgrade.plan import Migration, pending_migrations
from asan.upgrade.status import platform_status, plugin_usage


@get("/platform", opt={**on(ServedOn.PLATFORM), "permission": "platform.plugins"})
async def platform_page(request: Request[Any, Any, Any]) -> Response[str]:
    state = request.app.state
    status = await platform_status(state.database, state.schema_heads, state.plugin_host.catalogue)
    pending: list[Migration] = []
    unknown_revision = False
    if not status.schema_is_current:
        try:
            pending = pending_migrations(state.settings, status.current)
        except (CommandError, RevisionError):  # migrated by a newer release than this one
            unknown_revision = True
    usage = plugin_usage(await registry_of(request).list())
    missing = sorted(set(usage) - set(status.plugins.installed) - set(status.plugins.broken))
    return await render(
        request,
        "console/platform/platform.html",
        {
            "status": status,
            "pending": pending,
            "unknown_revision": unknown_revision,
            "usage": usage,
            "missing": missing,
        },
    )


ROUTES = [platform_page]
