"""Reviewing a draft before it is published, publishing and retiring, and the version history.

The review shows the draft as the public would see it in one language, every
field that differs from the published version side by side, and what still
blocks publishing. Publishing is ``CatalogueService.publish``: refused, with
nothing written, while a text is missing in any of the tenant's languages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from admin_console.pages.catalogue_common import (
    CHANNEL_LABELS,
    editing_locale,
    page,
    service_header,
)
from admin_console.rendering import is_htmx, redirect, render
from asan.catalogue.bundle import missing_by_locale
from asan.catalogue.display import fee_display, localized, processing_time_display
from asan.catalogue.errors import CatalogueEntryNotFoundError
from asan.catalogue.models import Service
from asan.catalogue.service import CatalogueService
from asan.errors import AsanError
from asan.i18n import current_locale, gettext, use_locale
from asan.tenancy import TenantRecord


def _text(text: Mapping[str, str] | None, locale: str, default: str) -> dict[str, Any]:
    """A text as the public gets it, and whether it fell back to the default language."""
    text = dict(text or {})
    return {"text": localized(text, locale, default), "fallback": not text.get(locale)}


async def _preview(
    catalogue: CatalogueService, content: Mapping[str, Any], locale: str, default: str
) -> dict[str, Any]:
    """The service as the public API shows it in ``locale`` (same fallbacks, same formats)."""
    try:
        agency_name = (await catalogue.agency_entry(content["agency"]))["name"]
    except CatalogueEntryNotFoundError:
        agency_name = {}
    try:
        category_name = (await catalogue.category_entry(content["category"]))["name"]
    except CatalogueEntryNotFoundError:
        category_name = {}
    with use_locale(locale):
        channels = [gettext(CHANNEL_LABELS[c]) for c in content.get("channels", [])]
    return {
        "name": _text(content.get("name"), locale, default),
        "description": _text(content.get("description"), locale, default),
        "eligibility": _text(content.get("eligibility"), locale, default),
        "documents": [_text(d, locale, default) for d in content.get("required_documents", [])],
        "agency": _text(agency_name, locale, default),
        "category": _text(category_name, locale, default),
        "fee": fee_display(content["fee"], locale) if content.get("fee") else "",
        "processing_time": (
            processing_time_display(content["processing_time"], locale)
            if content.get("processing_time")
            else ""
        ),
        "channels": channels,
        "form": [
            {
                "name": field.get("name"),
                "label": _text(field.get("label"), locale, default),
                "required": field.get("required", False),
                "options": [
                    _text(o.get("label"), locale, default) for o in field.get("options", [])
                ],
            }
            for field in content.get("form", [])
        ],
    }


def _path_locale(path: str, locales: tuple[str, ...]) -> str | None:
    """The language of a changed text (``name.en`` -> ``en``), to mark its cells."""
    last = path.rsplit(".", 1)[-1]
    return last if last in locales else None


async def _review(
    request: Request[Any, Any, Any],
    catalogue: CatalogueService,
    tenant: TenantRecord,
    code: FromPath[str],
    *,
    refusal: AsanError | None = None,
) -> Response[str]:
    locale = editing_locale(request, tenant)
    draft: dict[str, Any] | None
    try:
        draft = await catalogue.draft_view(code)
    except CatalogueEntryNotFoundError:  # no draft (or no such service: working_copy says so)
        draft = None
    service = (
        {**draft, "missing": missing_by_locale(draft["content"], tenant.locales)}
        if draft is not None
        else await catalogue.working_copy(code)
    )
    refusal_message = refusal.message_in(current_locale()) if refusal else None
    missing = (
        list(refusal.detail.get("missing", []))
        if refusal is not None and refusal.detail.get("missing")
        else (draft["missing_texts"] if draft else [])
    )
    context = {
        **service_header(service, tenant),
        "draft": draft,
        "differences": [
            {**d, "locale": _path_locale(d["path"], tenant.locales)}
            for d in (draft["differences"] if draft else [])
        ],
        "missing": missing,
        "preview": await _preview(catalogue, service["content"], locale, tenant.default_locale),
        "preview_locale": locale,
        "refusal": refusal_message,
    }
    if is_htmx(request) and refusal is None:
        return await render(request, "console/catalogue/_preview.html", context)
    return await render(
        request,
        "console/catalogue/review.html",
        context,
        status_code=refusal.status if refusal is not None else 200,
    )


async def _decide(
    request: Request[Any, Any, Any],
    catalogue: CatalogueService,
    tenant: TenantRecord,
    code: str,
    decision: Callable[[str], Awaitable[Service]],
    notice: Callable[[Service], str],
) -> Response[str]:
    """Publish or retire: back to the editor with ``notice``, or the review saying why not."""
    try:
        service = await decision(code)
    except CatalogueEntryNotFoundError:
        raise
    except AsanError as exc:
        return await _review(request, catalogue, tenant, code, refusal=exc)
    return redirect(request, f"/console/catalogue/services/{code}", notice=notice(service))


@get("/catalogue/services/{code:str}/review", **page("catalogue.read"))
async def review(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    catalogue: NamedDependency[CatalogueService],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    return await _review(request, catalogue, tenant, code)


@post("/catalogue/services/{code:str}/publish", **page("catalogue.publish"))
async def publish(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    catalogue: NamedDependency[CatalogueService],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    def published(service: Service) -> str:
        return gettext(
            "Published. Version {version} is what the public sees now.",
            version=service.published_version,
        )

    return await _decide(request, catalogue, tenant, code, catalogue.publish, published)


@post("/catalogue/services/{code:str}/retire", **page("catalogue.publish"))
async def retire(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    catalogue: NamedDependency[CatalogueService],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    def retired(_: Service) -> str:
        return gettext("Retired. The public no longer sees this service.")

    return await _decide(request, catalogue, tenant, code, catalogue.retire, retired)


@get("/catalogue/services/{code:str}/versions", **page("catalogue.read"))
async def versions(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    catalogue: NamedDependency[CatalogueService],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    service = await catalogue.working_copy(code)
    return await render(
        request,
        "console/catalogue/versions.html",
        {
            **service_header(service, tenant),
            "versions": list(reversed(await catalogue.versions(code))),
        },
    )


ROUTES = [review, publish, retire, versions]
