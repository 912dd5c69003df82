"""The catalogue's rows as the service's parts reach them, and the few ways they are written.

``CatalogueService`` is built in layers over this one: its read views
(``views``), the bundle file's import and export (``transfer``) and the
lifecycle of a service (``service``). What they all need lives here: finding
a service, a version, an agency or a category of the tenant; writing a draft
or a published version; saving an agency or a category; and the two things
every change does (count a revision, leave an audit event).

Every method works in the session it is given and never commits. Rows are
written with an explicit ``tenant_id`` and read with an explicit filter, so
the same code runs in the tenant's scope and in a platform scope; the session
guards check both.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from asan import audit
from asan.catalogue.bundle import Checker, TenantLanguages
from asan.catalogue.content import content_of
from asan.catalogue.errors import CatalogueConflictError, CatalogueEntryNotFoundError
from asan.catalogue.models import (
    Agency,
    CatalogueRevision,
    Category,
    Service,
    ServiceVersion,
    VersionState,
)
from asan.db import bump_counter, on_commit, utcnow
from asan.i18n import N_


class CatalogueStore:
    def __init__(
        self,
        session: AsyncSession,
        *,
        tenant_id: uuid.UUID,
        languages: TenantLanguages,
        actor: str,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """``on_change`` runs once a transaction that changed the catalogue has committed
        (a process drops its cached copy there)."""
        self.on_change = on_change
        self.session = session
        self.tenant_id = tenant_id
        self.languages = languages
        self.actor = actor

    # --- finding rows ------------------------------------------------------------

    async def _service_row(
        self, code: str, *, for_change: bool, with_versions: bool = False
    ) -> Service | None:
        """The service if there is one; ``for_change`` locks its row until the transaction ends.

        Every change to a service (edit, publish, retire) takes the lock, so an
        edit cannot write into a draft that a concurrent publish just turned
        into the published version. (SQLite serializes writers anyway.)
        """
        query = select(Service).where(Service.tenant_id == self.tenant_id, Service.code == code)
        if for_change:
            query = query.with_for_update()
        if with_versions:
            query = query.options(selectinload(Service.versions))
        return (await self.session.scalars(query)).one_or_none()

    async def _service(
        self, code: str, *, with_versions: bool = False, for_change: bool = False
    ) -> Service:
        """The service, which must exist (see :meth:`_service_row`)."""
        service = await self._service_row(code, for_change=for_change, with_versions=with_versions)
        if service is None:
            raise CatalogueEntryNotFoundError(
                N_("no service with code {code!r}"),
                detail={"kind": "service", "code": code},
                code=code,
            )
        return service

    async def _version(self, service: Service, number: int | None) -> ServiceVersion | None:
        if number is None:
            return None
        return (
            await self.session.scalars(
                select(ServiceVersion).where(
                    ServiceVersion.tenant_id == self.tenant_id,
                    ServiceVersion.service_id == service.id,
                    ServiceVersion.number == number,
                )
            )
        ).one()

    async def _codes(self, model: type[Agency] | type[Category]) -> set[str]:
        rows = await self.session.scalars(
            select(model.code).where(model.tenant_id == self.tenant_id)
        )
        return set(rows.all())

    async def known_codes(self) -> tuple[set[str], set[str]]:
        """Agency and category codes already in the catalogue (files may refer to them)."""
        return await self._codes(Agency), await self._codes(Category)

    async def _agency_row(self, code: str) -> Agency | None:
        return (
            await self.session.scalars(
                select(Agency).where(Agency.tenant_id == self.tenant_id, Agency.code == code)
            )
        ).one_or_none()

    async def _category_row(self, code: str) -> Category | None:
        return (
            await self.session.scalars(
                select(Category).where(Category.tenant_id == self.tenant_id, Category.code == code)
            )
        ).one_or_none()

    async def _agency_rows(self) -> Sequence[Agency]:
        """Every agency, by code."""
        return (
            await self.session.scalars(
                select(Agency).where(Agency.tenant_id == self.tenant_id).order_by(Agency.code)
            )
        ).all()

    async def _category_rows(self) -> Sequence[Category]:
        """Every category, in the order of the lists."""
        return (
            await self.session.scalars(
                select(Category)
                .where(Category.tenant_id == self.tenant_id)
                .order_by(Category.position, Category.code)
            )
        ).all()

    async def _service_rows(self) -> Sequence[Service]:
        """Every service, by code."""
        return (
            await self.session.scalars(
                select(Service).where(Service.tenant_id == self.tenant_id).order_by(Service.code)
            )
        ).all()

    # --- rows as entries ---------------------------------------------------------

    _AGENCY_VALUES = ("kind", "name", "description", "contact")

    @classmethod
    def _agency_values(cls, entry: Mapping[str, Any] | Agency) -> dict[str, Any]:
        if isinstance(entry, Agency):
            return {key: getattr(entry, key) for key in cls._AGENCY_VALUES}
        return {key: entry[key] for key in cls._AGENCY_VALUES}

    @classmethod
    def _agency_entry(cls, row: Agency) -> dict[str, Any]:
        return {"code": row.code, **cls._agency_values(row)}

    @staticmethod
    def _category_entry(row: Category) -> dict[str, Any]:
        return {"code": row.code, "order": row.position, "name": row.name}

    def _canonical(self, content: Mapping[str, Any], *, complete: bool) -> dict[str, Any]:
        """Stored content back in canonical order (JSONB does not keep key order)."""
        checker = Checker("stored", self.languages)
        entry = checker.service(
            "", {**content, "status": "published" if complete else "draft"}, with_code=False
        )
        return content_of(entry)

    # --- writing -----------------------------------------------------------------

    async def _bump_revision(self) -> None:
        """Every catalogue change passes here: the revision, and the after-commit hook."""
        await bump_counter(self.session, CatalogueRevision, self.tenant_id)
        if self.on_change is not None:
            on_commit(self.session, self.on_change)

    def _audit(self, action: str, code: str, **detail: Any) -> None:
        audit.record(
            self.session,
            tenant_id=self.tenant_id,
            actor=self.actor,
            action=action,
            detail={"code": code, **detail},
        )

    def _new_version(
        self, service: Service, number: int, content: dict[str, Any], state: VersionState
    ) -> ServiceVersion:
        version = ServiceVersion(
            tenant_id=self.tenant_id,
            service_id=service.id,
            number=number,
            state=state.value,
            content=content,
            created_by=self.actor,
        )
        if state is VersionState.PUBLISHED:
            version.published_by, version.published_at = self.actor, utcnow()
        self.session.add(version)
        return version

    async def _latest_number(self, service: Service) -> int:
        numbers = await self.session.scalars(
            select(ServiceVersion.number).where(
                ServiceVersion.tenant_id == self.tenant_id, ServiceVersion.service_id == service.id
            )
        )
        return max(numbers.all(), default=0)

    async def _publish_content(self, service: Service, content: dict[str, Any]) -> None:
        """Make ``content`` the published version, superseding the old one and any draft."""
        for number in (service.published_version, service.draft_version):
            old = await self._version(service, number)
            if old is not None and old.state != VersionState.SUPERSEDED:
                old.state = VersionState.SUPERSEDED.value
        number = await self._latest_number(service) + 1
        self._new_version(service, number, content, VersionState.PUBLISHED)
        service.published_version, service.draft_version = number, None

    async def _write_draft(self, service: Service, content: dict[str, Any]) -> None:
        draft = await self._version(service, service.draft_version)
        if draft is not None:
            draft.content = content
            draft.created_by, draft.created_at = self.actor, utcnow()
        else:
            number = await self._latest_number(service) + 1
            self._new_version(service, number, content, VersionState.DRAFT)
            service.draft_version = number

    async def save_agency(self, entry: Mapping[str, Any], *, create: bool) -> tuple[Agency, bool]:
        """Create or update one agency from a checked entry; returns (row, changed)."""
        row = await self._agency_row(entry["code"])
        if create and row is not None:
            raise CatalogueConflictError(
                N_("an agency with code {code!r} exists already"),
                detail={"code": entry["code"]},
                code=entry["code"],
            )
        values = self._agency_values(entry)
        if row is None:
            row = Agency(tenant_id=self.tenant_id, code=entry["code"], **values)
            self.session.add(row)
            self._audit("agency.created", row.code)
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            self._audit("agency.updated", row.code)
        else:
            return row, False
        await self._bump_revision()
        return row, True

    async def save_category(
        self, entry: Mapping[str, Any], *, create: bool
    ) -> tuple[Category, bool]:
        row = await self._category_row(entry["code"])
        if create and row is not None:
            raise CatalogueConflictError(
                N_("a category with code {code!r} exists already"),
                detail={"code": entry["code"]},
                code=entry["code"],
            )
        if row is None:
            row = Category(
                tenant_id=self.tenant_id,
                code=entry["code"],
                position=entry["order"],
                name=entry["name"],
            )
            self.session.add(row)
            self._audit("category.created", row.code)
        elif (row.position, row.name) != (entry["order"], entry["name"]):
            row.position, row.name = entry["order"], entry["name"]
            self._audit("category.updated", row.code)
        else:
            return row, False
        await self._bump_revision()
        return row, True
