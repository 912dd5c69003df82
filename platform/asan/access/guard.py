"""The guard every route passes: deny unless the declared permission is held.

Routes declare ``opt={"permission": ...}``: ``"public"`` explicitly, or one
permission from ``asan.authz.PERMISSIONS``. A route with no declaration is
refused (and ``tests/access/test_routes.py`` fails for it before it ships).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from asan.access.authorizer import Authorizer
from asan.authz import PUBLIC
from asan.i18n import N_
from asan.identity.api import principal_of
from asan.identity.errors import ForbiddenError, NotAuthenticatedError

PERMISSION_OPT = "permission"


async def require_permission(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    permission = handler.opt.get(PERMISSION_OPT)
    if permission == PUBLIC or connection.scope.get("method") == "OPTIONS":
        return  # a preflight (Litestar answers it itself) reveals nothing but the route
    if permission is None:
        raise ForbiddenError(N_("this route declares no permission and is closed"))
    tenant = connection.scope["state"].get("asan_tenant")  # None: the base domain
    principal = await principal_of(connection)
    if principal is None:
        raise NotAuthenticatedError(N_("sign in first"))
    authorizer: Authorizer = connection.app.state.authorizer
    if not await authorizer.allowed(tenant, principal, permission):
        raise ForbiddenError(
            N_("{user} may not {permission} on this tenant"),
            detail={"permission": permission},
            user=principal.name,
            permission=permission,
        )
