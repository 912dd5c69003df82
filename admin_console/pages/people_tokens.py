"""Console pages: API tokens for machines (kiosks, boards, agency systems).

Issued through the same service as ``POST /api/v1/tokens`` (the role exists,
nobody issues more than they hold, 1 to 366 days). The new token is shown on
the answer to the form itself, once: it is stored only as a hash, so a
redirect could not show it again.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from admin_console.pages.people_shared import Problems
from admin_console.rendering import form_data, redirect, render, tenant_page
from asan.access.authorizer import Authorizer
from asan.access.staff_rules import grantable_roles
from asan.db import utcnow
from asan.errors import AsanError
from asan.i18n import gettext
from asan.identity.api import signed_in
from asan.identity.models import ApiToken
from asan.identity.service import MAX_TOKEN_DAYS, IdentityService
from asan.tenancy import TenantRecord

DEFAULT_DAYS = 90


def _service(
    request: Request[Any, Any, Any], session: AsyncSession, tenant: TenantRecord
) -> IdentityService:
    return IdentityService(session, tenant_id=tenant.id, store=request.app.state.session_store)


async def _page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    tenant: TenantRecord,
    *,
    values: dict[str, str] | None = None,
    problems: Problems | None = None,
    issued: tuple[str, ApiToken] | None = None,
    status_code: int = 200,
) -> Response[str]:
    authorizer: Authorizer = request.app.state.authorizer
    roles = grantable_roles(await authorizer.policy(tenant), authorizer.templates)
    return await render(
        request,
        "console/people/tokens.html",
        {
            "tokens": await _service(request, session, tenant).tokens(),
            "roles": roles,
            "values": values or {"expires_in_days": str(DEFAULT_DAYS)},
            "problems": problems or Problems(),
            "issued": issued,
            "max_days": MAX_TOKEN_DAYS,
            "now": utcnow(),
        },
        status_code=status_code,
    )


@get("/tokens", opt=tenant_page("tokens.manage"))
async def tokens(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    return await _page(request, db_session, tenant)


@post("/tokens", opt=tenant_page("tokens.manage"))
async def issue_token(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    form = await form_data(request)
    values = {key: form.get(key, "").strip() for key in ("name", "role", "expires_in_days")}
    principal = await signed_in(request)
    try:
        days = int(values["expires_in_days"])
    except ValueError:
        problems = Problems()
        problems.add(gettext("Give the number of days as digits."), "expires_in_days")
        return await _page(
            request, db_session, tenant, values=values, problems=problems, status_code=422
        )
    try:
        issued = await _service(request, db_session, tenant).issue_token(
            tenant=tenant,
            issuer=principal,
            name=values["name"],
            role=values["role"],
            days=days,
            rules=request.app.state.authorizer,
        )
    except AsanError as exc:
        problems = Problems.of(exc)
        return await _page(
            request, db_session, tenant, values=values, problems=problems, status_code=exc.status
        )
    return await _page(request, db_session, tenant, issued=issued, status_code=HTTP_201_CREATED)


@post("/tokens/{token_id:uuid}/revoke", opt=tenant_page("tokens.manage"))
async def revoke_token(
    request: Request[Any, Any, Any],
    token_id: FromPath[uuid.UUID],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    principal = await signed_in(request)
    row = await _service(request, db_session, tenant).withdraw_token(
        token_id, revoked_by=principal.name
    )
    return redirect(
        request,
        "/console/tokens",
        notice=gettext("The token {name} was revoked; it no longer works.", name=row.name),
    )


ROUTES = [tokens, issue_token, revoke_token]
