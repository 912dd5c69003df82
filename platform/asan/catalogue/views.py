"""What the people who manage a catalogue read: every service, drafts included.

The public's view of the catalogue is ``published`` (cached, published
versions only). These views are for editors and publishers, through the API's
management routes and the console: the list of every service with what its
current version still lacks, the working copy an editor starts from, a draft
beside the published version, a service's history, agencies and categories.
They only read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from asan.catalogue.bundle import missing_by_locale, missing_texts
from asan.catalogue.content import differences
from asan.catalogue.coverage import current_versions
from asan.catalogue.errors import CatalogueEntryNotFoundError
from asan.catalogue.models import Service
from asan.catalogue.store import CatalogueStore
from asan.i18n import N_


@dataclass(frozen=True, slots=True)
class ServiceOverview:
    """One line of the management list: every service, drafts and retired ones included."""

    code: str
    status: str
    name: Mapping[str, str]
    agency: str
    category: str
    published_version: int | None
    draft_version: int | None
    missing: Mapping[str, int]
    """Per enabled locale, how many texts its current version (the draft if any) lacks."""

    @property
    def draft_pending(self) -> bool:
        """Published once, with changes that the public does not see yet."""
        return self.published_version is not None and self.draft_version is not None


class CatalogueViews(CatalogueStore):
    async def overview(self) -> list[ServiceOverview]:
        """Every service with its current version (the draft when there is one), by code."""
        rows = await self.session.execute(
            current_versions(Service)
            .where(Service.tenant_id == self.tenant_id)
            .order_by(Service.code)
        )
        return [
            ServiceOverview(
                code=service.code,
                status=service.status,
                name=content.get("name", {}),
                agency=content.get("agency", ""),
                category=content.get("category", ""),
                published_version=service.published_version,
                draft_version=service.draft_version,
                missing={
                    locale: len(paths)
                    for locale, paths in missing_by_locale(content, self.languages.locales).items()
                },
            )
            for service, content in rows
        ]

    async def working_copy(self, code: str) -> dict[str, Any]:
        """What an editor starts from: the draft if there is one, else the published version.

        ``missing`` lists, per enabled locale, the texts it still lacks there.
        """
        service = await self._service(code)
        number = service.draft_version or service.published_version
        version = await self._version(service, number)
        content = self._canonical(version.content, complete=False) if version else {}
        return {
            "code": service.code,
            "status": service.status,
            "version": number,
            "published_version": service.published_version,
            "draft_version": service.draft_version,
            "content": content,
            "missing": missing_by_locale(content, self.languages.locales),
        }

    async def draft_view(self, code: str) -> dict[str, Any]:
        service = await self._service(code)
        draft = await self._version(service, service.draft_version)
        if draft is None:
            raise CatalogueEntryNotFoundError(
                N_("service {code!r} has no draft"),
                detail={"kind": "draft", "code": code},
                code=code,
            )
        published = await self._version(service, service.published_version)
        return {
            "code": service.code,
            "status": service.status,
            "version": draft.number,
            "content": self._canonical(draft.content, complete=False),
            "published_version": service.published_version,
            "differences": [
                {"path": d.path, "published": d.published, "draft": d.draft}
                for d in differences(published.content if published else None, draft.content)
            ],
            "missing_texts": missing_texts(draft.content, self.languages.locales),
        }

    async def versions(self, code: str) -> list[dict[str, Any]]:
        service = await self._service(code, with_versions=True)
        history = []
        previous: dict[str, Any] | None = None
        for version in service.versions:
            history.append(
                {
                    "number": version.number,
                    "state": version.state,
                    "created_by": version.created_by,
                    "created_at": version.created_at.isoformat(),
                    "published_by": version.published_by,
                    "published_at": version.published_at.isoformat()
                    if version.published_at
                    else None,
                    "changed": [d.path for d in differences(previous, version.content)],
                }
            )
            previous = version.content
        return history

    async def agency_entry(self, code: str) -> dict[str, Any]:
        row = await self._agency_row(code)
        if row is None:
            raise CatalogueEntryNotFoundError(
                N_("no agency with code {code!r}"),
                detail={"kind": "agency", "code": code},
                code=code,
            )
        return self._agency_entry(row)

    async def category_entry(self, code: str) -> dict[str, Any]:
        row = await self._category_row(code)
        if row is None:
            raise CatalogueEntryNotFoundError(
                N_("no category with code {code!r}"),
                detail={"kind": "category", "code": code},
                code=code,
            )
        return self._category_entry(row)

    async def agency_entries(self) -> list[dict[str, Any]]:
        return [self._agency_entry(row) for row in await self._agency_rows()]

    async def category_entries(self) -> list[dict[str, Any]]:
        return [self._category_entry(row) for row in await self._category_rows()]
