"""A whole catalogue in and out as one bundle file (``catalogue.yaml``).

Import is in two steps so that nothing is written from a file with a problem:
``read_import`` checks the whole file against the tenant (its languages, the
agencies and categories it has), then ``plan_import`` says what importing
would change, or ``import_catalogue`` brings the catalogue to what the file
says, leaving alone what is already so. ``export_catalogue`` writes the
catalogue as the public knows it. The CLI, the console, tenant bundles and
tenant portability all go through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from asan.catalogue.bundle import (
    CatalogueError,
    CatalogueFile,
    CatalogueProblem,
    Checker,
    read_catalogue,
)
from asan.catalogue.content import content_of
from asan.catalogue.models import Service, ServiceStatus
from asan.catalogue.store import CatalogueStore
from asan.i18n import N_


def _per_kind() -> dict[str, int]:
    return {"agencies": 0, "categories": 0, "services": 0}


@dataclass(slots=True)
class ImportReport:
    created: dict[str, int] = field(default_factory=_per_kind)
    updated: dict[str, int] = field(default_factory=_per_kind)
    unchanged: dict[str, int] = field(default_factory=_per_kind)

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())

    def count(self, kind: str, *, existed: bool, changed: bool) -> None:
        bucket = self.unchanged if not changed else self.updated if existed else self.created
        bucket[kind] += 1


class CatalogueTransfer(CatalogueStore):
    async def read_import(self, data: bytes | str, *, source: str) -> CatalogueFile:
        """Check a whole catalogue file for this tenant, writing nothing.

        The file may refer to agencies and categories the tenant already has.
        Raises :class:`CatalogueError` listing every problem with its place.
        """
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CatalogueError(
                    [
                        CatalogueProblem(
                            source,
                            f"byte {exc.start + 1}",
                            N_("the file is not UTF-8 text"),
                        )
                    ]
                ) from exc
        agencies, categories = await self.known_codes()
        return read_catalogue(
            data,
            source=source,
            languages=self.languages,
            known_agencies=agencies,
            known_categories=categories,
        )

    async def plan_import(self, catalogue: CatalogueFile) -> ImportReport:
        """What :meth:`import_catalogue` would create, update and leave, writing nothing."""
        report = ImportReport()
        for entry in catalogue.agencies:
            agency = await self._agency_row(entry["code"])
            report.count(
                "agencies",
                existed=agency is not None,
                changed=agency is None or self._agency_values(entry) != self._agency_values(agency),
            )
        for entry in catalogue.categories:
            category = await self._category_row(entry["code"])
            report.count(
                "categories",
                existed=category is not None,
                changed=category is None
                or (category.position, category.name) != (entry["order"], entry["name"]),
            )
        for entry in catalogue.services:
            service = await self._service_row(entry["code"], for_change=False)
            changed = service is None or any(await self._import_changes(service, entry))
            report.count("services", existed=service is not None, changed=changed)
        return report

    async def import_catalogue(self, catalogue: CatalogueFile) -> ImportReport:
        """Bring the catalogue to what the checked file says; unchanged entries stay untouched."""
        report = ImportReport()
        for entry in catalogue.agencies:
            existed = await self._agency_row(entry["code"]) is not None
            _, changed = await self.save_agency(entry, create=False)
            report.count("agencies", existed=existed, changed=changed)
        for entry in catalogue.categories:
            existed = await self._category_row(entry["code"]) is not None
            _, changed = await self.save_category(entry, create=False)
            report.count("categories", existed=existed, changed=changed)
        for entry in catalogue.services:
            outcome = await self._import_service(entry)
            getattr(report, outcome)["services"] += 1
        return report

    async def _import_changes(
        self, service: Service, entry: Mapping[str, Any]
    ) -> tuple[bool, bool, bool]:
        """What importing ``entry`` changes: (its draft, its published version, its status)."""
        content = content_of(entry)
        if entry["status"] == ServiceStatus.DRAFT:
            draft = await self._version(service, service.draft_version)
            return draft is None or draft.content != content, False, False
        published = await self._version(service, service.published_version)
        return (
            False,
            published is None or published.content != content,
            service.status != entry["status"],
        )

    async def _import_service(self, entry: Mapping[str, Any]) -> str:
        content = content_of(entry)
        status = ServiceStatus(entry["status"])
        service = await self._service_row(entry["code"], for_change=True)
        created = service is None
        if service is None:
            service = Service(tenant_id=self.tenant_id, code=entry["code"], status=status.value)
            self.session.add(service)
            await self.session.flush()
        draft_changes, publishes, restatus = await self._import_changes(service, entry)
        if draft_changes:
            await self._write_draft(service, content)
        if publishes:
            await self._publish_content(service, content)
        if restatus:
            service.status = status.value
        changed = created or draft_changes or publishes or restatus
        if not changed:
            return "unchanged"
        await self._bump_revision()
        self._audit("service.imported", service.code, status=status.value)
        return "created" if created else "updated"

    async def export_catalogue(self) -> CatalogueFile:
        """The catalogue as the public knows it.

        A pending draft of a published service is work in progress and is not
        exported; a never-published service is exported as its draft.
        """
        checker = Checker("stored", self.languages)
        result = CatalogueFile(
            agencies=[checker.agency("", self._agency_entry(a)) for a in await self._agency_rows()],
            categories=[
                checker.category("", self._category_entry(c)) for c in await self._category_rows()
            ],
        )
        services = await self._service_rows()
        for service in services:
            number = (
                service.published_version
                if service.status != ServiceStatus.DRAFT
                else service.draft_version
            )
            version = await self._version(service, number)
            if version is None:
                continue
            result.services.append(
                checker.service(
                    "", {"code": service.code, "status": service.status, **version.content}
                )
            )
        return result
