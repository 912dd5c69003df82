"""The editor of a service: its texts one language at a time, and its other details.

One tab per language of the tenant, each with the texts of the service in
that language (the tenant's default language beside them as reference) and
how many are still missing. Saving writes the draft through
``CatalogueService.update_service`` with a partial entry of that language
only; the public keeps the published version until someone publishes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from admin_console.pages.catalogue_common import (
    CHANNEL_LABELS,
    UNIT_LABELS,
    FieldProblems,
    editing_locale,
    field_problems,
    page,
    reader_text,
    service_header,
    whole_number,
)
from admin_console.rendering import form_data, form_lists, is_htmx, redirect, render
from asan.catalogue.bundle import SERVICE_TEXTS
from asan.catalogue.service import CatalogueService
from asan.errors import AsanError
from asan.i18n import N_, gettext
from asan.tenancy import TenantRecord

TEXT_LABELS = {
    "name": N_("Name"),
    "description": N_("Description"),
    "eligibility": N_("Who can apply"),
}
SETTINGS_FIELDS = {
    "agency": "field-agency",
    "category": "field-category",
    "fee": "field-fee-amount",
    "processing_time.unit": "field-processing-unit",
    "processing_time": "field-processing-value",
    "channels": "field-channels",
    "form": "field-channels",
    "code": "field-code",
}


@dataclass(frozen=True, slots=True)
class TextField:
    """One text of a service in the language being edited."""

    name: str
    """The form field's name."""
    path: str
    """Where the text is in an entry (``required_documents[0]``), without the locale."""
    id: str
    label: str
    multiline: bool
    value: str
    source: str | None
    """The text in the tenant's default language, when another language is edited."""


def _text_fields(
    content: Mapping[str, Any],
    locale: str,
    default: str,
    submitted: Mapping[str, str] | None = None,
) -> list[TextField]:
    fields: list[TextField] = []

    def add(name: str, path: str, label: str, text: Mapping[str, str], multiline: bool) -> None:
        value = submitted.get(name, "") if submitted is not None else text.get(locale, "")
        source = text.get(default) if locale != default else None
        fields.append(TextField(name, path, f"field-{name}", label, multiline, value, source))

    for key in SERVICE_TEXTS:
        add(key, key, gettext(TEXT_LABELS[key]), content.get(key, {}), key != "name")
    for index, document in enumerate(content.get("required_documents", [])):
        label = gettext("Required document {number}", number=index + 1)
        add(f"document-{index}", f"required_documents[{index}]", label, document, False)
    for index, form_field in enumerate(content.get("form", [])):
        add(
            f"form-{index}-label",
            f"form[{index}].label",
            gettext("Form field {number}: its label", number=index + 1),
            form_field.get("label", {}),
            False,
        )
        for number, option in enumerate(form_field.get("options", [])):
            add(
                f"form-{index}-option-{number}",
                f"form[{index}].options[{number}].label",
                gettext(
                    "Form field {number}: choice {choice}", number=index + 1, choice=number + 1
                ),
                option.get("label", {}),
                False,
            )
    return fields


def _text_patch(content: Mapping[str, Any], locale: str, form: Mapping[str, str]) -> dict[str, Any]:
    """A partial entry carrying this locale's texts only (the others stay as they are)."""
    patch: dict[str, Any] = {key: {locale: form[key]} for key in SERVICE_TEXTS if key in form}
    documents = [dict(document) for document in content.get("required_documents", [])]
    for index, document in enumerate(documents):
        if f"document-{index}" in form:
            document[locale] = form[f"document-{index}"]
    fields = copy.deepcopy(list(content.get("form", [])))
    for index, form_field in enumerate(fields):
        if f"form-{index}-label" in form:
            form_field["label"][locale] = form[f"form-{index}-label"]
        for number, option in enumerate(form_field.get("options", [])):
            if f"form-{index}-option-{number}" in form:
                option["label"][locale] = form[f"form-{index}-option-{number}"]
    if documents:
        patch["required_documents"] = documents
    if fields:
        patch["form"] = fields
    return patch


def settings_patch(form: Mapping[str, list[str]], tenant: TenantRecord) -> dict[str, Any]:
    """Agency, category, fee, processing time and channels from the settings form."""

    def one(name: str) -> str:
        return (form.get(name) or [""])[-1].strip()

    return {
        "agency": one("agency"),
        "category": one("category"),
        "fee": {"amount": one("fee_amount"), "currency": tenant.currency},
        "processing_time": {
            "value": whole_number(one("processing_value")),
            "unit": one("processing_unit"),
        },
        "channels": form.get("channels", []),
    }


def submitted_values(form: Mapping[str, list[str]]) -> dict[str, Any]:
    """A submitted form as its fields' values again: the last of each, and every channel."""
    values: dict[str, Any] = {key: items[-1] for key, items in form.items() if items}
    values["channels"] = form.get("channels", [])
    return values


def _settings_values(content: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "agency": content.get("agency", ""),
        "category": content.get("category", ""),
        "fee_amount": content.get("fee", {}).get("amount", ""),
        "processing_value": content.get("processing_time", {}).get("value", ""),
        "processing_unit": content.get("processing_time", {}).get("unit", ""),
        "channels": list(content.get("channels", [])),
    }


async def choices(catalogue: CatalogueService, tenant: TenantRecord) -> dict[str, Any]:
    """What the selects of a service's settings offer, named in the reader's language."""
    return {
        "agency_choices": [
            (a["code"], reader_text(a["name"], tenant)) for a in await catalogue.agency_entries()
        ],
        "category_choices": [
            (c["code"], reader_text(c["name"], tenant)) for c in await catalogue.category_entries()
        ],
        "channel_choices": [(code, gettext(label)) for code, label in CHANNEL_LABELS.items()],
        "unit_choices": [(code, gettext(label)) for code, label in UNIT_LABELS.items()],
        "currency": tenant.currency,
    }


def settings_labels() -> dict[str, str]:
    return {
        "field-agency": gettext("Agency"),
        "field-category": gettext("Category"),
        "field-fee-amount": gettext("Fee"),
        "field-processing-value": gettext("Processing time"),
        "field-processing-unit": gettext("Unit of time"),
        "field-channels": gettext("Where people can apply"),
    }


# --- the editor -------------------------------------------------------------------------


async def _editor(
    request: Request[Any, Any, Any],
    catalogue: CatalogueService,
    tenant: TenantRecord,
    code: FromPath[str],
    *,
    service: dict[str, Any] | None = None,
    submitted_texts: Mapping[str, str] | None = None,
    text_problems: FieldProblems | None = None,
    submitted_settings: Mapping[str, Any] | None = None,
    settings_problems: FieldProblems | None = None,
) -> Response[str]:
    if service is None:
        service = await catalogue.working_copy(code)
    locale = editing_locale(request, tenant)
    content = service["content"]
    failed = bool(text_problems) or bool(settings_problems)
    context = {
        **service_header(service, tenant),
        "edit_locale": locale,
        "default_locale": tenant.default_locale,
        "fields": _text_fields(content, locale, tenant.default_locale, submitted_texts),
        "missing_here": set(service["missing"][locale]),
        "text_problems": text_problems or FieldProblems({}, []),
        "settings": submitted_settings or _settings_values(content),
        "settings_problems": settings_problems or FieldProblems({}, []),
    }
    if is_htmx(request) and not failed:
        return await render(request, "console/catalogue/_editor_panel.html", context)
    context.update(await choices(catalogue, tenant))
    return await render(
        request,
        "console/catalogue/editor.html",
        context,
        status_code=HTTP_422_UNPROCESSABLE_ENTITY if failed else 200,
    )


def _draft_saved(request: Request[Any, Any, Any], code: str, locale: str) -> Response[str]:
    return redirect(
        request,
        f"/console/catalogue/services/{code}?locale={locale}",
        notice=gettext("Draft saved"),
    )


@get("/catalogue/services/{code:str}", **page("catalogue.read"))
async def service_editor(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    catalogue: NamedDependency[CatalogueService],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    return await _editor(request, catalogue, tenant, code)


@post("/catalogue/services/{code:str}", **page("catalogue.draft"))
async def save_texts(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    catalogue: NamedDependency[CatalogueService],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    """Save the texts of one language into the draft."""
    locale = editing_locale(request, tenant)
    form = await form_data(request)
    service = await catalogue.working_copy(code)
    content = service["content"]
    try:
        await catalogue.update_service(code, _text_patch(content, locale, form))
    except AsanError as exc:
        fields = _text_fields(content, locale, tenant.default_locale)
        problems = field_problems(
            exc,
            {f"{field.path}.{locale}": field.id for field in fields},
            {field.id: field.label for field in fields},
        )
        return await _editor(
            request,
            catalogue,
            tenant,
            code,
            service=service,
            submitted_texts=form,
            text_problems=problems,
        )
    return _draft_saved(request, code, locale)


@post("/catalogue/services/{code:str}/settings", **page("catalogue.draft"))
async def save_settings(
    request: Request[Any, Any, Any],
    code: FromPath[str],
    catalogue: NamedDependency[CatalogueService],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    """Save agency, category, fee, processing time and channels into the draft."""
    form = await form_lists(request)
    try:
        await catalogue.update_service(code, settings_patch(form, tenant))
    except AsanError as exc:
        problems = field_problems(exc, SETTINGS_FIELDS, settings_labels())
        return await _editor(
            request,
            catalogue,
            tenant,
            code,
            submitted_settings=submitted_values(form),
            settings_problems=problems,
        )
    return _draft_saved(request, code, editing_locale(request, tenant))


ROUTES = [service_editor, save_texts, save_settings]
