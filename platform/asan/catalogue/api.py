"""Catalogue routes: the public read API and the staff management API.

Public reads come from the per-tenant cache of published content, in the
request's language (negotiated by ``asan.i18n``), with an ETag so clients and
caches can revalidate cheaply. Management routes work on drafts in the
request's transaction; their permissions are declared (``opt["permission"]``)
for the identity work that enforces them, and until then they are refused in
production.
"""

from __future__ import annotations

import hashlib
from typing import Any

from babel.dates import format_date
from litestar import Request, Response, Router, get, patch, post
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.plugins import InitPluginProtocol
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

import asan
from asan.api.hosts import ServedOn, on
from asan.catalogue.bundle import CHANNELS, TenantLanguages
from asan.catalogue.display import fee_display, localized, processing_time_display
from asan.catalogue.errors import CatalogueEntryNotFoundError
from asan.catalogue.published import PublishedCatalogue, PublishedCatalogueCache, PublishedService
from asan.catalogue.service import CatalogueService, ReferenceKind
from asan.config import Settings
from asan.errors import AsanError
from asan.i18n import N_, current_locale
from asan.identity.api import signed_in
from asan.tenancy import TenantRecord

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class BadParameterError(AsanError):
    code = "bad_parameter"
    status = 400


# --- helpers -----------------------------------------------------------------------


def _locale(tenant: TenantRecord) -> str:
    locale = current_locale()
    return locale if locale in tenant.locales else tenant.default_locale


def _whole_number(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadParameterError(
            N_("query parameter {name!r} must be a whole number from {low} to {high}, got {raw!r}"),
            detail={"parameter": name},
            name=name,
            low=low,
            high=high,
            raw=raw,
        )
    return int(raw)


def _known(name: str, raw: str | None, allowed: set[str] | tuple[str, ...]) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise BadParameterError(
            N_("query parameter {name!r} has an unknown value {raw!r}"),
            detail={"parameter": name},
            name=name,
            raw=raw,
        )
    return raw


def _summary(
    service: PublishedService, catalogue: PublishedCatalogue, locale: str, default: str
) -> dict[str, Any]:
    content = service.content
    return {
        "code": service.code,
        "name": localized(content["name"], locale, default),
        "category": content["category"],
        "agency": content["agency"],
        "fee": content["fee"],
        "fee_display": fee_display(content["fee"], locale),
        "processing_time": content["processing_time"],
        "processing_time_display": processing_time_display(content["processing_time"], locale),
        "channels": content["channels"],
    }


def _detail(
    service: PublishedService, catalogue: PublishedCatalogue, locale: str, default: str
) -> dict[str, Any]:
    content = service.content
    agency = catalogue.agencies.get(content["agency"], {})
    category = next((c for c in catalogue.categories if c["code"] == content["category"]), {})
    return {
        **_summary(service, catalogue, locale, default),
        "locale": locale,
        "version": service.version,
        "published_at": service.published_at.isoformat() if service.published_at else None,
        "published_at_display": (
            format_date(service.published_at, format="long", locale=locale)
            if service.published_at
            else None
        ),
        "description": localized(content["description"], locale, default),
        "eligibility": localized(content["eligibility"], locale, default),
        "required_documents": [
            localized(d, locale, default) for d in content["required_documents"]
        ],
        "category": {
            "code": content["category"],
            "name": localized(category.get("name", {}), locale, default),
        },
        "agency": {
            "code": content["agency"],
            "kind": agency.get("kind"),
            "name": localized(agency.get("name", {}), locale, default),
        },
        "form": [
            {
                "name": field["name"],
                "type": field["type"],
                "label": localized(field["label"], locale, default),
                "required": field["required"],
                "rules": field.get("rules", {}),
                **(
                    {
                        "options": [
                            {"value": o["value"], "label": localized(o["label"], locale, default)}
                            for o in field["options"]
                        ]
                    }
                    if field["type"] == "select"
                    else {}
                ),
            }
            for field in content["form"]
        ],
    }


def _etag(catalogue: PublishedCatalogue, locale: str, request: Request[Any, Any, Any]) -> str:
    """Everything the body depends on: tenant, revision, language, path, query, code version.

    Revisions are counted per tenant, so the tenant's id is part of it; the
    platform version stands for the translations the body was rendered with.
    """
    query = sorted(request.query_params.multi_items())
    parts = (
        str(catalogue.tenant_id),
        str(catalogue.revision),
        locale,
        request.url.path,
        repr(query),
        asan.__version__,
    )
    return f'W/"{hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]}"'


def _matches(if_none_match: str, etag: str) -> bool:
    tags = {tag.strip() for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags or etag.removeprefix("W/") in tags


def _respond(request: Request[Any, Any, Any], etag: str, build: Any) -> Response[Any]:
    """304 when the client's copy is current; else the body built by ``build()``."""
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(content=None, status_code=304, headers=headers)
    return Response(content=build(), status_code=HTTP_200_OK, headers=headers)


async def _catalogue(state: State, tenant: TenantRecord) -> PublishedCatalogue:
    cache: PublishedCatalogueCache = state.catalogue_cache
    return await cache.get(tenant)


# --- public routes -------------------------------------------------------------------


@get("/services", summary="Published services, filtered, searched and paginated")
async def list_services(
    request: Request[Any, Any, Any], state: State, tenant: NamedDependency[TenantRecord]
) -> Response[Any]:
    """Filters ``category``, ``agency``, ``channel``; ``q`` searches the served language."""
    catalogue = await _catalogue(state, tenant)
    locale = _locale(tenant)
    params = request.query_params
    page = _whole_number("page", params.get("page"), 1, 1, 1_000_000)
    page_size = _whole_number(
        "page_size", params.get("page_size"), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE
    )
    category = _known("category", params.get("category"), {c["code"] for c in catalogue.categories})
    agency = _known("agency", params.get("agency"), set(catalogue.agencies))
    channel = _known("channel", params.get("channel"), CHANNELS)
    query = (params.get("q") or "").strip() or None

    def build() -> dict[str, Any]:
        found = catalogue.matching(
            locale=locale, category=category, agency=agency, channel=channel, query=query
        )
        start = (page - 1) * page_size

        def summary(service: PublishedService) -> dict[str, Any]:
            return catalogue.view(  # type: ignore[no-any-return]
                "summary",
                locale,
                service.code,
                lambda: _summary(service, catalogue, locale, tenant.default_locale),
            )

        return {
            "items": [summary(service) for service in found[start : start + page_size]],
            "total": len(found),
            "page": page,
            "page_size": page_size,
            "locale": locale,
        }

    return _respond(request, _etag(catalogue, locale, request), build)


@get("/services/{code:str}", summary="One published service in full")
async def get_service(
    request: Request[Any, Any, Any],
    state: State,
    tenant: NamedDependency[TenantRecord],
    code: FromPath[str],
) -> Response[Any]:
    catalogue = await _catalogue(state, tenant)
    service = catalogue.by_code.get(code)
    if service is None:
        raise CatalogueEntryNotFoundError(
            N_("no published service with code {code!r}"),
            detail={"kind": "service", "code": code},
            code=code,
        )
    locale = _locale(tenant)
    return _respond(
        request,
        _etag(catalogue, locale, request),
        lambda: catalogue.view(
            "detail",
            locale,
            service.code,
            lambda: _detail(service, catalogue, locale, tenant.default_locale),
        ),
    )


@get("/categories", summary="Life-event categories, in display order")
async def list_categories(
    request: Request[Any, Any, Any], state: State, tenant: NamedDependency[TenantRecord]
) -> Response[Any]:
    catalogue = await _catalogue(state, tenant)
    locale = _locale(tenant)
    counts: dict[str, int] = {}
    for service in catalogue.services:
        counts[service.content["category"]] = counts.get(service.content["category"], 0) + 1
    return _respond(
        request,
        _etag(catalogue, locale, request),
        lambda: {
            "items": [
                {
                    "code": c["code"],
                    "name": localized(c["name"], locale, tenant.default_locale),
                    "order": c["order"],
                    "services": counts.get(c["code"], 0),
                }
                for c in catalogue.categories
            ],
            "locale": locale,
        },
    )


@get("/agencies", summary="Agencies whose services are offered here")
async def list_agencies(
    request: Request[Any, Any, Any], state: State, tenant: NamedDependency[TenantRecord]
) -> Response[Any]:
    catalogue = await _catalogue(state, tenant)
    locale = _locale(tenant)
    default = tenant.default_locale
    return _respond(
        request,
        _etag(catalogue, locale, request),
        lambda: {
            "items": [
                {
                    "code": a["code"],
                    "kind": a["kind"],
                    "name": localized(a["name"], locale, default),
                    "description": localized(a["description"], locale, default),
                    "contact": a["contact"],
                }
                for a in sorted(catalogue.agencies.values(), key=lambda a: a["code"])
            ],
            "locale": locale,
        },
    )


# --- management routes -----------------------------------------------------------------


async def catalogue_service(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant: TenantRecord
) -> CatalogueService:
    """The service, acting as the signed-in principal (the guard has checked the permission).

    Shared with the console: a change forgets this process's cached published
    catalogue once committed, so the public API shows it at once.
    """
    principal = await signed_in(request)
    cache: PublishedCatalogueCache = request.app.state.catalogue_cache
    return CatalogueService(
        db_session,
        tenant_id=tenant.id,
        languages=TenantLanguages(tenant.locales, tenant.currency),
        actor=principal.name,
        on_change=lambda: cache.forget(tenant.id),
    )


@post("/services", status_code=HTTP_201_CREATED, opt={"permission": "catalogue.draft"})
async def create_service(
    request: Request[Any, Any, Any],
    data: JSONBody[dict[str, Any]],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    """Create a draft. The body is one ``services`` entry of the bundle file, as JSON."""
    catalogue = await catalogue_service(request, db_session, tenant)
    service = await catalogue.create_service(data)
    return await catalogue.draft_view(service.code)


@patch("/services/{code:str}", opt={"permission": "catalogue.draft"})
async def update_service(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    data: JSONBody[dict[str, Any]],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    """Edit the draft with a partial entry; a published service gets a new draft version."""
    catalogue = await catalogue_service(request, db_session, tenant)
    await catalogue.update_service(code, data)
    return await catalogue.draft_view(code)


@get("/services/{code:str}/draft", opt={"permission": "catalogue.read"})
async def get_draft(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    """The draft, its differences from the published version, and what blocks publishing."""
    return await (await catalogue_service(request, db_session, tenant)).draft_view(code)


@post(
    "/services/{code:str}/publish", status_code=HTTP_200_OK, opt={"permission": "catalogue.publish"}
)
async def publish_service(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    catalogue = await catalogue_service(request, db_session, tenant)
    service = await catalogue.publish(code)
    return {"code": service.code, "status": service.status, "version": service.published_version}


@post(
    "/services/{code:str}/retire", status_code=HTTP_200_OK, opt={"permission": "catalogue.publish"}
)
async def retire_service(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    catalogue = await catalogue_service(request, db_session, tenant)
    service = await catalogue.retire(code)
    return {"code": service.code, "status": service.status, "version": service.published_version}


@get("/services/{code:str}/versions", opt={"permission": "catalogue.read"})
async def list_versions(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    """Every version, oldest first, with who made and published it and what changed."""
    catalogue = await catalogue_service(request, db_session, tenant)
    return {"code": code, "versions": await catalogue.versions(code)}


async def _save_reference(
    kind: ReferenceKind,
    code: str | None,
    data: dict[str, Any],
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    tenant: TenantRecord,
) -> dict[str, Any]:
    catalogue = await catalogue_service(request, db_session, tenant)
    return await catalogue.save_reference(kind, code, data)


@post("/agencies", status_code=HTTP_201_CREATED, opt={"permission": "catalogue.publish"})
async def create_agency(
    request: Request[Any, Any, Any],
    data: JSONBody[dict[str, Any]],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    return await _save_reference("agency", None, data, request, db_session, tenant)


@patch("/agencies/{code:str}", opt={"permission": "catalogue.publish"})
async def update_agency(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    data: JSONBody[dict[str, Any]],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    return await _save_reference("agency", code, data, request, db_session, tenant)


@post("/categories", status_code=HTTP_201_CREATED, opt={"permission": "catalogue.publish"})
async def create_category(
    request: Request[Any, Any, Any],
    data: JSONBody[dict[str, Any]],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    return await _save_reference("category", None, data, request, db_session, tenant)


@patch("/categories/{code:str}", opt={"permission": "catalogue.publish"})
async def update_category(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    data: JSONBody[dict[str, Any]],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    return await _save_reference("category", code, data, request, db_session, tenant)


PUBLIC_ROUTES = [list_services, get_service, list_categories, list_agencies]
MANAGEMENT_ROUTES = [
    create_service,
    update_service,
    get_draft,
    publish_service,
    retire_service,
    list_versions,
    create_agency,
    update_agency,
    create_category,
    update_category,
]


class CatalogueApiPlugin(InitPluginProtocol):
    """Routes, and the per-tenant cache of published catalogues they read."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        settings: Settings = app_config.state["settings"]
        app_config.state["catalogue_cache"] = PublishedCatalogueCache(
            app_config.state["database"], refresh_seconds=settings.catalogue_refresh_seconds
        )
        app_config.route_handlers.append(
            Router(
                "/api/v1",
                route_handlers=[
                    Router("/", route_handlers=PUBLIC_ROUTES, opt={"permission": "public"}),
                    Router("/", route_handlers=MANAGEMENT_ROUTES),
                ],
                opt=on(ServedOn.TENANT),
                tags=["catalogue"],
            )
        )
        return app_config
