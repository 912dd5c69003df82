"""Console pages of the catalogue: the list of everything in it, and a new service.

The editor of a service: ``catalogue_editor``; review, publishing and
versions: ``catalogue_review``; agencies and categories:
``catalogue_references``; the bundle file: ``catalogue_transfer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency

from admin_console.pages import (
    catalogue_editor,
    catalogue_references,
    catalogue_review,
    catalogue_transfer,
)
from admin_console.pages.catalogue_common import (
    FieldProblems,
    field_problems,
    page,
    reader_text,
    status_labels,
)
from admin_console.pages.catalogue_editor import (
    SETTINGS_FIELDS,
    TEXT_LABELS,
    choices,
    settings_labels,
    settings_patch,
    submitted_values,
)
from admin_console.rendering import form_lists, redirect, render
from asan.catalogue.bundle import SERVICE_TEXTS
from asan.catalogue.errors import CatalogueConflictError
from asan.catalogue.service import CatalogueService
from asan.errors import AsanError
from asan.i18n import gettext
from asan.tenancy import TenantRecord

# --- the list ---------------------------------------------------------------------------


@get("/catalogue", **page("catalogue.read"))
async def catalogue_index(
    request: Request[Any, Any, Any],
    catalogue: NamedDependency[CatalogueService],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    agencies = await catalogue.agency_entries()
    categories = await catalogue.category_entries()
    agency_names = {a["code"]: reader_text(a["name"], tenant) for a in agencies}
    category_names = {c["code"]: reader_text(c["name"], tenant) for c in categories}
    return await render(
        request,
        "console/catalogue/index.html",
        {
            "services": await catalogue.overview(),
            "agencies": agencies,
            "categories": categories,
            "agency_names": agency_names,
            "category_names": category_names,
            "status_labels": status_labels(),
            "text_of": lambda text: reader_text(text, tenant),
        },
    )


# --- a new service ----------------------------------------------------------------------


async def _new_service_page(
    request: Request[Any, Any, Any],
    catalogue: CatalogueService,
    tenant: TenantRecord,
    values: Mapping[str, Any],
    problems: FieldProblems | None = None,
    status_code: int = 200,
) -> Response[str]:
    return await render(
        request,
        "console/catalogue/new_service.html",
        {
            **(await choices(catalogue, tenant)),
            "values": values,
            "problems": problems or FieldProblems({}, []),
            "default_locale": tenant.default_locale,
        },
        status_code=status_code,
    )


@get("/catalogue/services/new", **page("catalogue.draft"))
async def new_service_form(
    request: Request[Any, Any, Any],
    catalogue: NamedDependency[CatalogueService],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    values = {"channels": ["service_centre"], "processing_unit": "working_days"}
    return await _new_service_page(request, catalogue, tenant, values)


@post("/catalogue/services/new", **page("catalogue.draft"))
async def create_service(
    request: Request[Any, Any, Any],
    catalogue: NamedDependency[CatalogueService],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    form = await form_lists(request)
    texts = {key: (form.get(key) or [""])[-1] for key in ("code", *SERVICE_TEXTS)}
    default = tenant.default_locale
    body = {
        "code": texts["code"].strip(),
        **{key: {default: texts[key]} for key in SERVICE_TEXTS},
        "required_documents": [],
        **settings_patch(form, tenant),
        "form": [],
    }
    try:
        service = await catalogue.create_service(body)
    except AsanError as exc:
        fields = {
            **SETTINGS_FIELDS,
            **{f"{key}.{default}": f"field-{key}" for key in SERVICE_TEXTS},
        }
        taken = "field-code" if isinstance(exc, CatalogueConflictError) else ""
        problems = field_problems(exc, fields, _new_labels(), otherwise=taken)
        return await _new_service_page(
            request, catalogue, tenant, submitted_values(form), problems, status_code=exc.status
        )
    return redirect(
        request,
        f"/console/catalogue/services/{service.code}",
        notice=gettext("Draft created. Add the texts in the other languages, then ask for review."),
    )


def _new_labels() -> dict[str, str]:
    return {
        "field-code": gettext("Code"),
        **{f"field-{key}": gettext(label) for key, label in TEXT_LABELS.items()},
        **settings_labels(),
    }


ROUTES = [
    catalogue_index,
    new_service_form,
    create_service,
    *catalogue_editor.ROUTES,
    *catalogue_review.ROUTES,
    *catalogue_references.ROUTES,
    *catalogue_transfer.ROUTES,
]
