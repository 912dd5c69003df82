"""Signing in and out of the console, and choosing its language.

Sign-in is the same service as the API's ``/api/v1/auth/login`` (a tenant's
staff on its host, platform operators on the base domain); the console only
adds the form, the remembered language and the way back to the page asked for.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from admin_console.rendering import (
    form_data,
    offered_locales,
    redirect,
    render,
    safe_next,
    tenant_of,
    viewer_of,
)
from admin_console.security import secure_cookie
from asan.api.context import request_db_session
from asan.api.hosts import ServedOn, on
from asan.db import Database, PlatformScope
from asan.errors import AsanError
from asan.i18n import LOCALE_COOKIE, current_locale, gettext, use_locale
from asan.identity.api import SESSION_COOKIE, end_session, session_cookie, start_session
from asan.identity.service import IdentityService

LOCALE_COOKIE_SECONDS = 365 * 24 * 3600
_PUBLIC = {**on(ServedOn.TENANT_OR_PLATFORM), "permission": "public"}


@get("/sign-in", opt=_PUBLIC)
async def sign_in_form(request: Request[Any, Any, Any]) -> Response[str]:
    return await render(
        request, "console/sign_in.html", {"next": safe_next(request.query_params.get("next"))}
    )


@post("/sign-in", opt=_PUBLIC)
async def sign_in(request: Request[Any, Any, Any], state: State) -> Response[str]:
    form = await form_data(request)
    target = safe_next(form.get("next"))
    username = form.get("username", "").strip()
    client = request.client.host if request.client else "unknown"
    try:
        result = await start_session(
            state, tenant_of(request), username, form.get("password", ""), client=client
        )
    except AsanError as exc:
        return await render(
            request,
            "console/sign_in.html",
            {"next": target, "username": username, "error": exc.message_in(current_locale())},
            status_code=exc.status,
        )
    cookies = [session_cookie(result, state.settings)]
    if result.locale and result.locale in offered_locales(tenant_of(request)):
        cookies.append(
            secure_cookie(request, LOCALE_COOKIE, result.locale, max_age=LOCALE_COOKIE_SECONDS)
        )
    return redirect(request, target, cookies=cookies)


@post("/sign-out", opt=_PUBLIC)
async def sign_out(request: Request[Any, Any, Any], state: State) -> Response[str]:
    await end_session(request, state)
    response = redirect(request, "/console/sign-in", notice=gettext("You are signed out."))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@post("/language", opt=_PUBLIC)
async def choose_language(request: Request[Any, Any, Any], state: State) -> Response[str]:
    """Switch the console's language; signed-in people keep it for their next sign-in."""
    form = await form_data(request)
    target = safe_next(form.get("next"))
    tenant = tenant_of(request)
    locale = form.get("locale", "")
    if locale not in offered_locales(tenant):
        return redirect(request, target)
    viewer = await viewer_of(request)
    if viewer.principal is not None:
        if tenant is not None:
            session: AsyncSession = request_db_session(request)
            await IdentityService(
                session, tenant_id=tenant.id, store=state.session_store
            ).remember_locale(viewer.principal, locale)
        else:
            database: Database = state.database
            reason = "platform operator chose a console language"
            async with database.transaction(PlatformScope(reason=reason)) as session:
                await IdentityService(
                    session, tenant_id=None, store=state.session_store
                ).remember_locale(viewer.principal, locale)
    with use_locale(locale):
        notice = gettext("The console is now in this language.")
    cookie = secure_cookie(request, LOCALE_COOKIE, locale, max_age=LOCALE_COOKIE_SECONDS)
    return redirect(request, target, notice=notice, cookies=[cookie])


ROUTES = [sign_in_form, sign_in, sign_out, choose_language]
