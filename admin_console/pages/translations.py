"""Console pages: what is translated in each of the tenant's languages, and its own wording.

The overview reports, per enabled locale, the same coverage as ``asan i18n
coverage CODE`` (UI strings and catalogue texts); the editor lets a tenant
admin reword any of the platform's UI strings in one locale. The rules of an
override are ``asan.translations``'s; this module parses, calls, renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from admin_console.rendering import form_data, is_htmx, redirect, render, tenant_page
from asan.catalogue.coverage import catalogue_coverage
from asan.catalogue.published import searchable
from asan.errors import NotFoundError
from asan.i18n import (
    N_,
    SOURCE_LOCALE,
    current_locale,
    gettext,
    i18n_directory,
    platform_translations,
    tenant_coverage,
)
from asan.identity.api import signed_in
from asan.tenancy import TenantRecord
from asan.translations import (
    Change,
    OverrideRefusedError,
    OverrideView,
    UiTextOverrideService,
    override_cache,
)

PAGE_SIZE = 50


def _service(
    request: Request[Any, Any, Any], session: AsyncSession, tenant: TenantRecord
) -> UiTextOverrideService:
    cache = override_cache(request.app)
    return UiTextOverrideService(session, tenant, on_change=lambda: cache.forget(tenant.id))


@get("/translations", opt=tenant_page("settings.read"))
async def overview(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    """Per enabled locale: the shares ``asan i18n coverage`` reports, and the tenant's overrides."""
    texts = await catalogue_coverage(db_session, tenant.id, tenant.locales)
    report = tenant_coverage(
        i18n_directory(),
        tenant.locales,
        tenant.default_locale,
        catalogue_texts=[(c.locale, c.translated, c.total, c.gaps) for c in texts],
    )
    counts = await _service(request, db_session, tenant).counts()
    return await render(
        request, "console/translations/overview.html", {"report": report, "counts": counts}
    )


@dataclass(frozen=True, slots=True)
class EditorRow:
    message_id: str
    platform: str | None
    """The platform's translation in the locale (None: not translated, English is shown)."""
    override: str | None
    row_id: str


def _rows(
    service: UiTextOverrideService,
    locale: str,
    overrides: dict[str, OverrideView],
    query: str,
) -> tuple[list[EditorRow], list[str]]:
    """The editor's rows matching ``query``, and overrides of ids the platform no longer has."""
    platform = platform_translations(service.directory or i18n_directory(), locale)
    source = locale == SOURCE_LOCALE  # English is the platform's own text, translated or not
    words = searchable(query).split()
    messages = service.messages()
    rows = []
    for index, message in enumerate(messages):
        own = overrides.get(message.id)
        shown = platform.get(message.id, message.id if source else None)
        haystack = searchable(" ".join((message.id, shown or "", own.text if own else "")))
        if all(word in haystack for word in words):
            rows.append(EditorRow(message.id, shown, own.text if own else None, f"m{index}"))
    known = {message.id for message in messages}
    obsolete = sorted(message_id for message_id in overrides if message_id not in known)
    return rows, obsolete


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or "1"))
    except ValueError:
        return 1


async def _editor(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    tenant: TenantRecord,
    locale: str,
    *,
    query: str,
    page: int,
    problems: list[str] | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    if locale not in tenant.locales:
        raise NotFoundError(N_("{locale} is not one of this tenant's languages"), locale=locale)
    service = _service(request, session, tenant)
    overrides = await service.overrides(locale)
    rows, obsolete = _rows(service, locale, overrides, query)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(page, pages)
    if errors:  # show the row with the problem, wherever the filter and paging put it
        wanted = next(iter(errors))
        for index, row in enumerate(rows):
            if row.message_id == wanted:
                page = index // PAGE_SIZE + 1
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    context = {
        "edit_locale": locale,
        "rows": shown,
        "matching": len(rows),
        "query": query,
        "page": page,
        "pages": pages,
        "obsolete": obsolete,
        "overrides": overrides,
        "problems": problems or [],
        "errors": errors or {},
        "values": values or {},
        "page_link": lambda number: _editor_link(locale, query, number),
    }
    template = (
        "console/translations/_messages.html"
        if is_htmx(request) and not problems
        else "console/translations/editor.html"
    )
    return await render(request, template, context, status_code=status_code)


def _editor_link(locale: str, query: str, page: int) -> str:
    parameters = {key: value for key, value in (("q", query), ("page", page)) if value}
    if parameters.get("page") == 1:
        parameters.pop("page")
    return f"/console/translations/{locale}" + (f"?{urlencode(parameters)}" if parameters else "")


@get("/translations/{locale:str}", opt=tenant_page("settings.read"))
async def editor(
    request: Request[Any, Any, Any],
    locale: FromPath[str],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    return await _editor(
        request,
        db_session,
        tenant,
        locale,
        query=(request.query_params.get("q") or "").strip(),
        page=_page_number(request.query_params.get("page")),
    )


_NOTICES = {
    Change.CREATED: N_("Your wording is saved; it is shown from now on."),
    Change.UPDATED: N_("Your wording is saved; it is shown from now on."),
    Change.REMOVED: N_("Your wording is removed; the platform's translation is shown again."),
    Change.UNCHANGED: N_("Nothing changed."),
}


@post("/translations/{locale:str}", opt=tenant_page("settings.edit"))
async def save_override(
    request: Request[Any, Any, Any],
    locale: FromPath[str],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    """Save one override (message id + text); an empty text removes it."""
    form = await form_data(request)
    message_id = form.get("message_id", "")
    text = form.get("text", "")
    query = form.get("q", "").strip()
    page = _page_number(form.get("page"))
    actor = await signed_in(request)
    try:
        change = await _service(request, db_session, tenant).set(
            locale, message_id, text, actor=actor.name
        )
    except OverrideRefusedError as exc:
        if exc.detail.get("field") == "locale":
            raise  # no editor to show it on: the error page says it (422, nothing written)
        message = exc.message_in(current_locale())
        return await _editor(
            request,
            db_session,
            tenant,
            locale,
            query=query,
            page=page,
            problems=[message],
            errors={message_id: message} if exc.detail.get("field") == "text" else {},
            values={message_id: text},
            status_code=exc.status,
        )
    return redirect(request, _editor_link(locale, query, page), notice=gettext(_NOTICES[change]))


ROUTES = [overview, editor, save_override]
