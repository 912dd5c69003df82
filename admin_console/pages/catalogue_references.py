"""Agencies and categories: lists, and one form each with their texts in every language.

They are not versioned: a change is live at once (``CatalogueService.save_reference``,
the same rule as the API's), so writing them needs ``catalogue.publish``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from admin_console.pages.catalogue_common import (
    FieldProblems,
    field_problems,
    page,
    reader_text,
    whole_number,
)
from admin_console.rendering import form_data, redirect, render, tenant_page
from asan.catalogue.bundle import AGENCY_KINDS
from asan.catalogue.errors import CatalogueConflictError
from asan.catalogue.service import CatalogueService, ReferenceKind
from asan.errors import AsanError
from asan.i18n import N_, gettext, language_name
from asan.tenancy import TenantRecord

_KIND_LABELS = {"public": N_("Public body"), "private": N_("Private company")}
_PLURAL = {"agency": "agencies", "category": "categories"}


class _ContactLinesError(AsanError):
    status = 422


def _contact(raw: str) -> dict[str, str]:
    """``website: https://...`` lines as a mapping (blank lines skipped)."""
    contact: dict[str, str] = {}
    for line in raw.splitlines():
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon or not key.strip() or not value.strip():
            raise _ContactLinesError(N_("write each contact detail as name: value, one per line"))
        contact[key.strip()] = value.strip()
    return contact


def _contact_lines(contact: Mapping[str, str]) -> str:
    return "\n".join(f"{key}: {value}" for key, value in contact.items())


def _values(
    kind: ReferenceKind, entry: Mapping[str, Any], locales: tuple[str, ...]
) -> dict[str, Any]:
    """An entry as the form's fields."""
    values: dict[str, Any] = {"code": entry.get("code", "")}
    for locale in locales:
        values[f"name-{locale}"] = entry.get("name", {}).get(locale, "")
        if kind == "agency":
            values[f"description-{locale}"] = entry.get("description", {}).get(locale, "")
    if kind == "agency":
        values["kind"] = entry.get("kind", "public")
        values["contact"] = _contact_lines(entry.get("contact", {}))
    else:
        values["order"] = entry.get("order", "")
    return values


def _body(kind: ReferenceKind, form: Mapping[str, str], locales: tuple[str, ...]) -> dict[str, Any]:
    """The form as an entry (every language's texts: agencies and categories have them all)."""
    body: dict[str, Any] = {"name": {locale: form.get(f"name-{locale}", "") for locale in locales}}
    if kind == "agency":
        body["description"] = {locale: form.get(f"description-{locale}", "") for locale in locales}
        body["kind"] = form.get("kind", "")
        body["contact"] = _contact(form.get("contact", ""))
    else:
        body["order"] = whole_number(form.get("order", ""))
    return body


def _fields(kind: ReferenceKind, locales: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Problem paths to field ids, and field ids to labels."""
    paths = {
        "code": "field-code",
        "kind": "field-kind",
        "contact": "field-contact",
        "order": "field-order",
    }
    labels = {
        "field-code": gettext("Code"),
        "field-kind": gettext("Kind"),
        "field-contact": gettext("Contact details"),
        "field-order": gettext("Position in lists"),
    }
    for locale in locales:
        paths[f"name.{locale}"] = f"field-name-{locale}"
        labels[f"field-name-{locale}"] = gettext(
            "Name in {language}", language=language_name(locale)
        )
        if kind == "agency":
            paths[f"description.{locale}"] = f"field-description-{locale}"
            labels[f"field-description-{locale}"] = gettext(
                "Description in {language}", language=language_name(locale)
            )
    return paths, labels


async def _form_page(
    request: Request[Any, Any, Any],
    kind: ReferenceKind,
    tenant: TenantRecord,
    values: Mapping[str, Any],
    *,
    code: str | None,
    problems: FieldProblems | None = None,
    status_code: int = 200,
) -> Response[str]:
    return await render(
        request,
        f"console/catalogue/{kind}.html",
        {
            "code": code,
            "values": values,
            "problems": problems or FieldProblems({}, []),
            "kind_choices": [(k, gettext(_KIND_LABELS[k])) for k in AGENCY_KINDS],
            "title": reader_text(
                {k[5:]: v for k, v in values.items() if k.startswith("name-")}, tenant
            )
            if code
            else None,
        },
        status_code=status_code,
    )


async def _save(
    request: Request[Any, Any, Any],
    kind: ReferenceKind,
    code: str | None,
    catalogue: CatalogueService,
    tenant: TenantRecord,
) -> Response[str]:
    form = await form_data(request)
    paths, labels = _fields(kind, tenant.locales)
    try:
        body = _body(kind, form, tenant.locales)
        if code is None:
            body["code"] = form.get("code", "").strip()
        saved = await catalogue.save_reference(kind, code, body)
    except _ContactLinesError as exc:
        problems = field_problems(exc, paths, labels, otherwise="field-contact")
        status = exc.status
    except AsanError as exc:
        taken = "field-code" if isinstance(exc, CatalogueConflictError) else ""
        problems = field_problems(exc, paths, labels, otherwise=taken)
        status = exc.status
    else:
        notice = (
            gettext("Created. It is live at once.")
            if code is None
            else gettext("Saved. The change is live at once.")
        )
        return redirect(
            request, f"/console/catalogue/{_PLURAL[kind]}/{saved['code']}", notice=notice
        )
    return await _form_page(
        request, kind, tenant, form, code=code, problems=problems, status_code=status
    )


def _routes(kind: ReferenceKind) -> list[HTTPRouteHandler]:
    """The list, the new form and one entry's form of agencies or of categories."""
    plural = _PLURAL[kind]
    blank = {"kind": "public"} if kind == "agency" else {}

    @get(f"/catalogue/{plural}", **page("catalogue.read"))
    async def entries(
        request: Request[Any, Any, Any],
        catalogue: NamedDependency[CatalogueService],
        tenant: NamedDependency[TenantRecord],
    ) -> Response[str]:
        listed = await (
            catalogue.agency_entries() if kind == "agency" else catalogue.category_entries()
        )
        return await render(
            request,
            f"console/catalogue/{plural}.html",
            {
                plural: listed,
                "kind_labels": {k: gettext(v) for k, v in _KIND_LABELS.items()},
                "text_of": lambda text: reader_text(text, tenant),
            },
        )

    @get(f"/catalogue/{plural}/new", opt=tenant_page("catalogue.publish"))
    async def new_form(
        request: Request[Any, Any, Any], tenant: NamedDependency[TenantRecord]
    ) -> Response[str]:
        return await _form_page(request, kind, tenant, blank, code=None)

    @post(f"/catalogue/{plural}/new", **page("catalogue.publish"))
    async def create(
        request: Request[Any, Any, Any],
        catalogue: NamedDependency[CatalogueService],
        tenant: NamedDependency[TenantRecord],
    ) -> Response[str]:
        return await _save(request, kind, None, catalogue, tenant)

    @get(f"/catalogue/{plural}/{{code:str}}", **page("catalogue.read"))
    async def entry(
        request: Request[Any, Any, Any],
        code: FromPath[str],
        catalogue: NamedDependency[CatalogueService],
        tenant: NamedDependency[TenantRecord],
    ) -> Response[str]:
        found = await (
            catalogue.agency_entry(code) if kind == "agency" else catalogue.category_entry(code)
        )
        return await _form_page(
            request, kind, tenant, _values(kind, found, tenant.locales), code=code
        )

    @post(f"/catalogue/{plural}/{{code:str}}", **page("catalogue.publish"))
    async def update(
        request: Request[Any, Any, Any],
        code: FromPath[str],
        catalogue: NamedDependency[CatalogueService],
        tenant: NamedDependency[TenantRecord],
    ) -> Response[str]:
        return await _save(request, kind, code, catalogue, tenant)

    return [entries, new_form, create, entry, update]


ROUTES = [*_routes("agency"), *_routes("category")]
