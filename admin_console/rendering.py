"""Rendering pages: one Jinja2 environment, the context every page gets, and notices.

Every page gets ``tenant`` (None on the base domain), ``principal``,
``can(permission)`` (what the navigation and buttons show; the routes' own
guards are what protect), ``csrf_token``, the ``locales`` offered here and
the current one, the ``notice`` left by the previous action, and filters
that format in the tenant's way: ``datetime``/``date`` (the tenant's time
zone, the reader's language), ``money`` (the tenant's currency), ``number``
and ``percent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment, PackageLoader
from litestar import MediaType, Request, Response
from litestar.datastructures import Cookie
from litestar.status_codes import HTTP_200_OK, HTTP_303_SEE_OTHER

from admin_console.security import anonymous_cookie, csrf_token, secure_cookie
from asan.access.authorizer import Authorizer
from asan.api.hosts import ServedOn, on
from asan.i18n import catalogued_locales, current_locale, jinja_environment
from asan.identity.api import principal_of
from asan.identity.service import Principal
from asan.tenancy import TenantRecord

NOTICE_COOKIE = "asan_console_notice"
HTMX_HEADER = "hx-request"


def _environment() -> Environment:
    return jinja_environment(PackageLoader("admin_console", "templates"))


ENVIRONMENT = _environment()


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking at a console page, and what they may do where they are."""

    principal: Principal | None
    tenant: TenantRecord | None
    permissions: frozenset[str]

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def tenant_page(permission: str) -> dict[str, Any]:
    """``opt`` of a tenant console route: served on a tenant's host, needing ``permission``."""
    return {**on(ServedOn.TENANT), "permission": permission}


def tenant_of(request: Request[Any, Any, Any]) -> TenantRecord | None:
    tenant: TenantRecord | None = request.scope["state"].get("asan_tenant")
    return tenant


async def viewer_of(request: Request[Any, Any, Any]) -> Viewer:
    state = request.scope["state"]
    if "console_viewer" in state:
        return state["console_viewer"]  # type: ignore[no-any-return]
    principal = await principal_of(request)
    tenant = tenant_of(request)
    permissions: frozenset[str] = frozenset()
    if principal is not None:
        authorizer: Authorizer = request.app.state.authorizer
        _, held = await authorizer.roles_and_permissions(tenant, principal)
        permissions = frozenset(held)
    viewer = Viewer(principal, tenant, permissions)
    state["console_viewer"] = viewer
    return viewer


def offered_locales(tenant: TenantRecord | None) -> tuple[str, ...]:
    return tuple(tenant.locales) if tenant is not None else catalogued_locales()


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """An htmx request wants a fragment, not a whole page (and never a boosted one)."""
    return request.headers.get(HTMX_HEADER) == "true"


def safe_next(target: str | None, default: str = "/console/") -> str:
    """Where to go after an action: only a path inside the console, never another site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console"):
        return default
    return target


def _formatters(tenant: TenantRecord | None) -> dict[str, Any]:
    zone = ZoneInfo(tenant.timezone) if tenant is not None else ZoneInfo("UTC")

    def as_datetime(value: datetime | str | None, form: str = "medium") -> str:
        if value is None or value == "":
            return ""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return format_datetime(moment, form, tzinfo=zone, locale=current_locale())

    def as_date(value: date | datetime | str | None, form: str = "medium") -> str:
        if value is None or value == "":
            return ""
        day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
        if isinstance(day, datetime):
            day = day.astimezone(zone).date()
        return format_date(day, form, locale=current_locale())

    def as_money(value: Decimal | float | int | str | None, currency: str | None = None) -> str:
        if value is None or value == "":
            return ""
        code = currency or (tenant.currency if tenant is not None else "USD")
        return format_currency(Decimal(str(value)), code, locale=current_locale())

    def as_number(value: float | int | Decimal) -> str:
        return format_decimal(value, locale=current_locale())

    def as_percent(value: float) -> str:
        return format_percent(value, locale=current_locale())

    return {
        "datetime": as_datetime,
        "date": as_date,
        "money": as_money,
        "number": as_number,
        "percent": as_percent,
    }


def context_for(request: Request[Any, Any, Any], viewer: Viewer) -> dict[str, Any]:
    """The context every template gets (synchronous: error handlers use it too)."""
    tenant = viewer.tenant
    notice = request.cookies.get(NOTICE_COOKIE)
    return {
        "tenant": tenant,
        "principal": viewer.principal,
        "can": viewer.can,
        "csrf_token": csrf_token(request),
        "locales": offered_locales(tenant),
        "locale": current_locale(),
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "notice": unquote(notice) if notice else None,
        "fmt": _formatters(tenant),
    }


def known_viewer(request: Request[Any, Any, Any]) -> Viewer:
    """The viewer if this request already found it, else what is known without a lookup."""
    state = request.scope["state"]
    if "console_viewer" in state:
        return state["console_viewer"]  # type: ignore[no-any-return]
    return Viewer(state.get("asan_principal"), tenant_of(request), frozenset())


async def render(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = HTTP_200_OK,
) -> Response[str]:
    """A page (or, for htmx, a fragment template) as HTML, with the common context.

    A notice shown once is cleared; a sign-in form gets its anonymous CSRF cookie.
    """
    cookies: list[Cookie] = []
    fresh = anonymous_cookie(request) if template.endswith("sign_in.html") else None
    if fresh is not None:
        cookies.append(fresh)
    full = {**context_for(request, await viewer_of(request)), **(context or {})}
    if full["notice"] is not None:
        cookies.append(Cookie(key=NOTICE_COOKIE, value="", max_age=0, path="/console"))
    html = ENVIRONMENT.get_template(template).render(full)
    return Response(html, media_type=MediaType.HTML, status_code=status_code, cookies=cookies)


def redirect(
    request: Request[Any, Any, Any],
    target: str,
    *,
    notice: str | None = None,
    cookies: list[Cookie] | None = None,
) -> Response[str]:
    """303 See Other after a successful form (the request's transaction commits).

    ``notice`` (already in the reader's language) is shown once on the next page.
    For htmx requests the browser is told to load the page itself (``HX-Redirect``).
    """
    all_cookies = list(cookies or [])
    if notice:
        all_cookies.append(
            secure_cookie(
                request,
                NOTICE_COOKIE,
                quote(notice),
                max_age=120,
                path="/console",
                samesite="strict",
            )
        )
    htmx = is_htmx(request)
    return Response(
        "",
        status_code=HTTP_200_OK if htmx else HTTP_303_SEE_OTHER,
        headers={"HX-Redirect": target} if htmx else {"Location": target},
        cookies=all_cookies,
        media_type=MediaType.HTML,
    )


async def form_data(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The posted form as single strings (the last value of a repeated field wins)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def form_lists(request: Request[Any, Any, Any]) -> dict[str, list[str]]:
    """The posted form with every value of repeated fields (check boxes, multi-selects)."""
    form = await request.form()
    lists: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            lists.setdefault(key, []).append(value)
    return lists
