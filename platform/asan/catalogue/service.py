"""The catalogue's rules, shared by the API, the console and the CLI.

``CatalogueService`` is the one door to them. This module holds the rules of
a service's lifecycle and of agencies and categories; the class gathers the
other parts, each in its own module: the read views of the people who manage
the catalogue (``views``), the bundle file's import and export (``transfer``),
and the rows they all work on (``store``). What a version stores and how two
versions differ is ``content``.

Every method works in the session it is given and never commits: the caller
decides the transaction (a request, a CLI command, a whole tenant load).

Lifecycle of a service: a new service is a draft (version 1). Publishing makes
the draft the version the public sees; editing a published service makes a new
draft version and leaves the published one in place until the next publish;
retiring withdraws it. No version is ever deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from sqlalchemy import select

from asan.catalogue.bundle import Checker, missing_texts
from asan.catalogue.content import (
    Difference,
    content_of,
    differences,
    merge_patch,
)
from asan.catalogue.errors import CatalogueConflictError, PublishRefusedError
from asan.catalogue.models import Service, ServiceStatus, VersionState
from asan.catalogue.transfer import CatalogueTransfer, ImportReport
from asan.catalogue.views import CatalogueViews, ServiceOverview
from asan.db import utcnow
from asan.i18n import N_

__all__ = [
    "CatalogueService",
    "Difference",
    "ImportReport",
    "ReferenceKind",
    "ServiceOverview",
    "content_of",
    "differences",
    "merge_patch",
]

ReferenceKind = Literal["agency", "category"]


class CatalogueService(CatalogueViews, CatalogueTransfer):
    """Everything done to a tenant's catalogue, acting as ``actor``."""

    def _check_entry(self, body: Mapping[str, Any], source: str) -> dict[str, Any]:
        checker = Checker(source, self.languages)
        entry = checker.service("", dict(body))
        checker.raise_if_any()
        return entry

    async def _check_references(self, entry: Mapping[str, Any], source: str) -> None:
        agencies, categories = await self.known_codes()
        checker = Checker(source, self.languages)
        if entry.get("agency") not in agencies:
            checker.problem("agency", N_("unknown agency {value!r}"), value=entry.get("agency"))
        if entry.get("category") not in categories:
            checker.problem(
                "category", N_("unknown category {value!r}"), value=entry.get("category")
            )
        checker.raise_if_any()

    async def create_service(self, body: Mapping[str, Any]) -> Service:
        """A new service, as a draft (version 1), whatever ``status`` the body carries.

        The body is one bundle entry, so an entry exported elsewhere (status
        ``published``) can be posted as it is: here it starts as a draft and
        is published by whoever may publish.
        """
        entry = self._check_entry({**body, "status": "draft"}, "request")
        await self._check_references(entry, "request")
        existing = await self.session.scalar(
            select(Service.id).where(
                Service.tenant_id == self.tenant_id, Service.code == entry["code"]
            )
        )
        if existing is not None:
            raise CatalogueConflictError(
                N_("a service with code {code!r} exists already"),
                detail={"code": entry["code"]},
                code=entry["code"],
            )
        service = Service(
            tenant_id=self.tenant_id, code=entry["code"], status=ServiceStatus.DRAFT.value
        )
        self.session.add(service)
        await self.session.flush()
        await self._write_draft(service, content_of(entry))
        self._audit("service.drafted", service.code, version=service.draft_version)
        return service

    async def update_service(self, code: str, patch: Mapping[str, Any]) -> Service:
        """Apply a partial entry to the draft (made from the published version if none).

        ``status`` in the body is ignored (publishing and retiring have their
        own routes); a different ``code`` is refused: codes are stable.
        """
        service = await self._service(code, for_change=True)
        if "code" in patch and patch["code"] != service.code:
            checker = Checker("request", self.languages)
            checker.problem("code", N_("a service's code cannot be changed"))
            checker.raise_if_any()
        base = await self._version(service, service.draft_version) or await self._version(
            service, service.published_version
        )
        merged = merge_patch(base.content if base else {}, content_of(patch))
        entry = self._check_entry({**merged, "code": service.code, "status": "draft"}, "request")
        await self._check_references(entry, "request")
        changes = differences(base.content if base else None, content_of(entry))
        await self._write_draft(service, content_of(entry))
        # The draft row keeps only its latest content; the trail keeps every edit.
        self._audit(
            "service.drafted",
            service.code,
            version=service.draft_version,
            changes=[{"path": d.path, "from": d.published, "to": d.draft} for d in changes],
        )
        return service

    async def publish(self, code: str) -> Service:
        service = await self._service(code, for_change=True)
        draft = await self._version(service, service.draft_version)
        if draft is None:
            raise CatalogueConflictError(
                N_("service {code!r} has no draft to publish"), detail={"code": code}, code=code
            )
        missing = missing_texts(draft.content, self.languages.locales)
        if missing:
            raise PublishRefusedError(
                N_("service {code!r} cannot be published: text is missing in {count} place(s)"),
                detail={"code": code, "missing": missing},
                code=code,
                count=len(missing),
            )
        await self._check_references(draft.content, "draft")
        previous = await self._version(service, service.published_version)
        if previous is not None:
            previous.state = VersionState.SUPERSEDED.value
        draft.state = VersionState.PUBLISHED.value
        draft.published_by, draft.published_at = self.actor, utcnow()
        service.published_version, service.draft_version = draft.number, None
        service.status = ServiceStatus.PUBLISHED.value
        await self._bump_revision()
        self._audit("service.published", code, version=draft.number)
        return service

    async def retire(self, code: str) -> Service:
        service = await self._service(code, for_change=True)
        if service.status == ServiceStatus.RETIRED:
            return service
        if service.published_version is None:
            raise CatalogueConflictError(
                N_("service {code!r} was never published; there is nothing to retire"),
                detail={"code": code},
                code=code,
            )
        service.status = ServiceStatus.RETIRED.value
        await self._bump_revision()
        self._audit("service.retired", code)
        return service

    async def save_reference(
        self, kind: ReferenceKind, code: str | None, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Create (``code`` None) or patch an agency or a category; live at once, audited.

        A patch is a partial entry (texts merge per locale). Agencies and
        categories are not versioned: a service refers to them by code, and its
        own versions carry what the public sees of it.
        """
        checker = Checker("request", self.languages)
        read = checker.agency if kind == "agency" else checker.category
        current = self.agency_entry if kind == "agency" else self.category_entry
        body = (
            dict(data) if code is None else merge_patch(await current(code), {**data, "code": code})
        )
        entry = read("", body)
        checker.raise_if_any()
        if kind == "agency":
            await self.save_agency(entry, create=code is None)
        else:
            await self.save_category(entry, create=code is None)
        return await current(entry["code"])
