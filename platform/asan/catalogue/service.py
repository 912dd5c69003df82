"""The catalogue's rules, shared by the API, the console and the CLI.

Every method works in the session it is given and never commits: the caller
decides the transaction (a request, a CLI command, a whole tenant load). Rows
are written with an explicit ``tenant_id`` and read with an explicit filter, so
the same code runs in the tenant's scope and in a platform scope; the session
guards check both.

Lifecycle of a service: a new service is a draft (version 1). Publishing makes
the draft the version the public sees; editing a published service makes a new
draft version and leaves the published one in place until the next publish;
retiring withdraws it. No version is ever deleted.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from asan import audit
from asan.catalogue.bundle import (
    SERVICE_TEXTS,
    CatalogueError,
    CatalogueFile,
    CatalogueProblem,
    Checker,
    TenantLanguages,
    missing_by_locale,
    missing_texts,
    read_catalogue,
)
from asan.catalogue.errors import (
    CatalogueConflictError,
    CatalogueEntryNotFoundError,
    PublishRefusedError,
)
from asan.catalogue.models import (
    Agency,
    CatalogueRevision,
    Category,
    Service,
    ServiceStatus,
    ServiceVersion,
    VersionState,
)
from asan.db import bump_counter, on_commit, utcnow
from asan.i18n import N_


@dataclass(slots=True)
class ImportReport:
    created: dict[str, int] = field(
        default_factory=lambda: {"agencies": 0, "categories": 0, "services": 0}
    )
    updated: dict[str, int] = field(
        default_factory=lambda: {"agencies": 0, "categories": 0, "services": 0}
    )
    unchanged: dict[str, int] = field(
        default_factory=lambda: {"agencies": 0, "categories": 0, "services": 0}
    )

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())


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


ReferenceKind = Literal["agency", "category"]


@dataclass(frozen=True, slots=True)
class Difference:
    path: str
    published: Any
    draft: Any


def content_of(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A service entry without its identity and status: what a version stores."""
    return {key: value for key, value in entry.items() if key not in ("code", "status")}


def _flatten(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{path}.{key}" if path else str(key)))
        return flat
    if isinstance(value, list):
        flat = {}
        for index, item in enumerate(value):
            flat.update(_flatten(item, f"{path}[{index}]"))
        return flat or {path: []}
    return {path: value}


def differences(published: Mapping[str, Any] | None, draft: Mapping[str, Any]) -> list[Difference]:
    """Field-by-field differences, for the side-by-side review before publishing."""
    before, after = _flatten(dict(published or {})), _flatten(dict(draft))
    return [
        Difference(path, before.get(path), after.get(path))
        for path in sorted(set(before) | set(after))
        if before.get(path) != after.get(path)
    ]


def merge_patch(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """A partial entry over a full one: texts merge per locale, other keys replace."""
    merged = copy.deepcopy(dict(base))
    for key, value in patch.items():
        if key in SERVICE_TEXTS and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class CatalogueService:
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

    # --- reading -----------------------------------------------------------------

    async def _service(
        self, code: str, *, with_versions: bool = False, for_change: bool = False
    ) -> Service:
        """The service; ``for_change`` locks its row until the transaction ends.

        Every change to a service (edit, publish, retire) takes the lock, so an
        edit cannot write into a draft that a concurrent publish just turned
        into the published version. (SQLite serializes writers anyway.)
        """
        query = select(Service).where(Service.tenant_id == self.tenant_id, Service.code == code)
        if for_change:
            query = query.with_for_update()
        if with_versions:
            query = query.options(selectinload(Service.versions))
        service = (await self.session.scalars(query)).one_or_none()
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

    async def overview(self) -> list[ServiceOverview]:
        """Every service with its current version (the draft when there is one), by code."""
        rows = await self.session.execute(
            select(Service, ServiceVersion.content)
            .join(
                ServiceVersion,
                (ServiceVersion.tenant_id == Service.tenant_id)
                & (ServiceVersion.service_id == Service.id)
                & (
                    ServiceVersion.number
                    == func.coalesce(Service.draft_version, Service.published_version)
                ),
            )
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

    # --- writing -----------------------------------------------------------------

    def _canonical(self, content: Mapping[str, Any], *, complete: bool) -> dict[str, Any]:
        """Stored content back in canonical order (JSONB does not keep key order)."""
        checker = Checker("stored", self.languages)
        entry = checker.service(
            "", {**content, "status": "published" if complete else "draft"}, with_code=False
        )
        return content_of(entry)

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

    _AGENCY_VALUES = ("kind", "name", "description", "contact")

    @classmethod
    def _agency_values(cls, entry: Mapping[str, Any] | Agency) -> dict[str, Any]:
        if isinstance(entry, Agency):
            return {key: getattr(entry, key) for key in cls._AGENCY_VALUES}
        return {key: entry[key] for key in cls._AGENCY_VALUES}

    @staticmethod
    def _agency_entry(row: Agency) -> dict[str, Any]:
        return {
            "code": row.code,
            "kind": row.kind,
            "name": row.name,
            "description": row.description,
            "contact": row.contact,
        }

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
        return {"code": row.code, "order": row.position, "name": row.name}

    async def agency_entries(self) -> list[dict[str, Any]]:
        rows = await self.session.scalars(
            select(Agency).where(Agency.tenant_id == self.tenant_id).order_by(Agency.code)
        )
        return [self._agency_entry(row) for row in rows.all()]

    async def category_entries(self) -> list[dict[str, Any]]:
        rows = await self.session.scalars(
            select(Category)
            .where(Category.tenant_id == self.tenant_id)
            .order_by(Category.position, Category.code)
        )
        return [{"code": c.code, "order": c.position, "name": c.name} for c in rows.all()]

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

    # --- bundle import and export --------------------------------------------------

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
            self._count(
                report,
                "agencies",
                existed=agency is not None,
                changed=agency is None or self._agency_values(entry) != self._agency_values(agency),
            )
        for entry in catalogue.categories:
            category = await self._category_row(entry["code"])
            self._count(
                report,
                "categories",
                existed=category is not None,
                changed=category is None
                or (category.position, category.name) != (entry["order"], entry["name"]),
            )
        for entry in catalogue.services:
            service = await self._service_row(entry["code"], for_change=False)
            changed = service is None or any(await self._import_changes(service, entry))
            self._count(report, "services", existed=service is not None, changed=changed)
        return report

    async def import_catalogue(self, catalogue: CatalogueFile) -> ImportReport:
        """Bring the catalogue to what the checked file says; unchanged entries stay untouched."""
        report = ImportReport()
        for entry in catalogue.agencies:
            existed = await self._exists(Agency, entry["code"])
            _, changed = await self.save_agency(entry, create=False)
            self._count(report, "agencies", existed=existed, changed=changed)
        for entry in catalogue.categories:
            existed = await self._exists(Category, entry["code"])
            _, changed = await self.save_category(entry, create=False)
            self._count(report, "categories", existed=existed, changed=changed)
        for entry in catalogue.services:
            outcome = await self._import_service(entry)
            getattr(report, outcome)["services"] += 1
        return report

    async def _exists(self, model: type[Agency] | type[Category], code: str) -> bool:
        found = await self.session.scalar(
            select(model.id).where(model.tenant_id == self.tenant_id, model.code == code)
        )
        return found is not None

    @staticmethod
    def _count(report: ImportReport, kind: str, *, existed: bool, changed: bool) -> None:
        bucket = report.unchanged if not changed else report.updated if existed else report.created
        bucket[kind] += 1

    async def _service_row(self, code: str, *, for_change: bool) -> Service | None:
        query = select(Service).where(Service.tenant_id == self.tenant_id, Service.code == code)
        if for_change:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

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
        agencies = (
            await self.session.scalars(
                select(Agency).where(Agency.tenant_id == self.tenant_id).order_by(Agency.code)
            )
        ).all()
        categories = (
            await self.session.scalars(
                select(Category)
                .where(Category.tenant_id == self.tenant_id)
                .order_by(Category.position, Category.code)
            )
        ).all()
        services = (
            await self.session.scalars(
                select(Service).where(Service.tenant_id == self.tenant_id).order_by(Service.code)
            )
        ).all()
        checker = Checker("stored", self.languages)
        result = CatalogueFile(
            agencies=[
                checker.agency(
                    "",
                    {
                        "code": a.code,
                        "kind": a.kind,
                        "name": a.name,
                        "description": a.description,
                        "contact": a.contact,
                    },
                )
                for a in agencies
            ],
            categories=[
                checker.category("", {"code": c.code, "order": c.position, "name": c.name})
                for c in categories
            ],
        )
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
