"""The console's front page: a tenant's areas, or (base domain) the central team's."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from admin_console.rendering import redirect, render, viewer_of
from asan.api.hosts import ServedOn, on
from asan.i18n import N_
from asan.identity.errors import NotAuthenticatedError


@get(["/", "/home"], opt={**on(ServedOn.TENANT_OR_PLATFORM), "permission": "public"})
async def home(request: Request[Any, Any, Any]) -> Response[str]:
    viewer = await viewer_of(request)
    if viewer.principal is None:
        raise NotAuthenticatedError(N_("sign in first"))
    if viewer.tenant is None:
        return redirect(request, "/console/tenants")
    return await render(request, "console/home.html")


ROUTES = [home]
