"""What every catalogue page shares: the service, the locale being edited, problems by field.

The rules are ``asan.catalogue``'s; this module only turns requests into its
calls and its problems into something to show next to a field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from admin_console.rendering import tenant_page
from asan.catalogue.api import catalogue_service
from asan.catalogue.bundle import CatalogueError
from asan.catalogue.display import localized
from asan.catalogue.service import CatalogueService
from asan.errors import AsanError
from asan.i18n import N_, current_locale, gettext
from asan.tenancy import TenantRecord

__all__ = [
    "CHANNEL_LABELS",
    "STATUS_LABELS",
    "UNIT_LABELS",
    "FieldProblems",
    "editing_locale",
    "field_problems",
    "page",
    "reader_text",
    "service_header",
    "status_labels",
    "whole_number",
]

CHANNEL_LABELS = {
    "service_centre": N_("At a service centre"),
    "mobile_unit": N_("At a mobile service unit"),
    "online": N_("Online"),
}
UNIT_LABELS = {
    "minutes": N_("minutes"),
    "hours": N_("hours"),
    "days": N_("days"),
    "working_days": N_("working days"),
}
STATUS_LABELS = {
    "draft": N_("Draft"),
    "published": N_("Published"),
    "retired": N_("Retired"),
    "superseded": N_("Superseded"),
}


async def _catalogue(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> CatalogueService:
    return await catalogue_service(request, db_session, tenant)


def page(permission: str) -> dict[str, Any]:
    """What a catalogue page's route declares: ``opt``, and its ``catalogue`` dependency.

    ``catalogue`` is the same service the API uses, in the request's session,
    acting as the signed-in person.
    """
    return {"opt": tenant_page(permission), "dependencies": {"catalogue": Provide(_catalogue)}}


def status_labels() -> dict[str, str]:
    """A service's statuses, named in the reader's language."""
    return {key: gettext(label) for key, label in STATUS_LABELS.items()}


def service_header(service: Mapping[str, Any], tenant: TenantRecord) -> dict[str, Any]:
    """What the pages of one service show above their content: its name and status, and one
    tab per language with how many texts are still missing there.

    ``service`` is a view with its ``content`` and, per locale, its ``missing`` texts
    (``CatalogueService.working_copy``).
    """
    return {
        "service": service,
        "service_name": reader_text(service["content"].get("name"), tenant),
        "status_labels": status_labels(),
        "tabs": [(locale, len(service["missing"][locale])) for locale in tenant.locales],
    }


def editing_locale(request: Request[Any, Any, Any], tenant: TenantRecord) -> str:
    """The locale whose texts a page edits (``?locale=``), the tenant's default otherwise."""
    wanted = request.query_params.get("locale")
    return wanted if wanted in tenant.locales else tenant.default_locale


def reader_text(text: Mapping[str, str] | None, tenant: TenantRecord) -> str:
    """A catalogue text in the reader's language, else in the tenant's default."""
    return localized(dict(text or {}), current_locale(), tenant.default_locale)


def whole_number(raw: str) -> int | str:
    """A typed number as an int when it is one; anything else is left for the checker."""
    text = raw.strip()
    return int(text) if text.lstrip("-").isdigit() else text


@dataclass(slots=True)
class FieldProblems:
    """Problems of a form: by field (shown under it) and all of them (the summary)."""

    by_field: dict[str, str]
    summary: list[dict[str, str]]
    """``{"field": id or "", "text": ...}``: the summary links to the field when it has one."""

    def __bool__(self) -> bool:
        return bool(self.summary)


def field_problems(
    exc: AsanError,
    fields: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
    *,
    otherwise: str = "",
) -> FieldProblems:
    """Put each problem of ``exc`` next to its field.

    ``fields`` maps a problem's path (``name.en``, ``fee.amount``) or its start
    (``fee``) to a field's id; ``labels`` names the fields in the summary. An
    error that is not a list of problems goes under the field ``otherwise``.
    """
    locale = current_locale()
    labels = labels or {}
    if not isinstance(exc, CatalogueError):
        message = exc.message_in(locale)
        return FieldProblems(
            {otherwise: message} if otherwise else {}, [{"field": otherwise, "text": message}]
        )
    by_field: dict[str, str] = {}
    summary: list[dict[str, str]] = []
    for problem in exc.problems:
        reason = problem.reason_in(locale)
        field = _field_of(problem.path, fields)
        if field:
            by_field.setdefault(field, reason)
            label = labels.get(field, problem.path)
            summary.append(
                {"field": field, "text": gettext("{label}: {reason}", label=label, reason=reason)}
            )
        else:
            where = problem.path or problem.file
            summary.append({"field": "", "text": f"{where}: {reason}" if where else reason})
    return FieldProblems(by_field, summary)


def _field_of(path: str, fields: Mapping[str, str]) -> str:
    candidate = path
    while candidate:
        if candidate in fields:
            return fields[candidate]
        cut = max(candidate.rfind("."), candidate.rfind("["))
        candidate = candidate[:cut] if cut > 0 else ""
    return ""
