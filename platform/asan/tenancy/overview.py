"""What the central team sees of tenants: catalogue size, translation coverage, last change.

Every figure is read for all the tenants asked about at once (one grouped
query per figure, never one per tenant), in one transaction that only reads.
The overview of every tenant is cross-tenant work and opens a platform scope
(logged with its reason); the page of one tenant reads in that tenant's own
scope, so nothing of another tenant can reach it.

Catalogue texts count as in ``asan i18n coverage`` (``catalogue_coverage``):
agencies' names and descriptions, categories' names, and the texts of each
service's current version (its draft when it has one, else the published one).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from asan.audit import AuditEvent
from asan.catalogue.coverage import CatalogueText, catalogue_texts, text_coverage
from asan.catalogue.models import Agency, Category, Service, ServiceStatus
from asan.db import Database, PlatformScope, TenantScope, mostly_reading
from asan.i18n import LocaleCoverage, i18n_directory, tenant_coverage
from asan.tenancy.records import TenantRecord

OVERVIEW_REASON = "console: tenant overview"


@dataclass(frozen=True, slots=True)
class CatalogueSize:
    published: int = 0
    """Services the public sees (status published)."""
    drafts: int = 0
    """Services with a draft waiting: never published yet, or a new version of a published one."""
    retired: int = 0
    agencies: int = 0
    categories: int = 0


@dataclass(frozen=True, slots=True)
class Change:
    """One event of a tenant's audit trail."""

    at: datetime
    actor: str
    action: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TenantFigures:
    tenant: TenantRecord
    catalogue: CatalogueSize
    coverage: list[LocaleCoverage]
    """Per enabled locale (default first as the tenant lists them): UI strings and catalogue."""
    last_change: Change | None


@dataclass(frozen=True, slots=True)
class TenantDetails:
    figures: TenantFigures
    recent_changes: list[Change]
    """The latest events of its audit trail, newest first."""


async def _catalogue_sizes(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CatalogueSize]:
    def counting(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    services = await session.execute(
        select(
            Service.tenant_id,
            counting(Service.status == ServiceStatus.PUBLISHED.value),
            counting(Service.draft_version.is_not(None)),
            counting(Service.status == ServiceStatus.RETIRED.value),
        )
        .where(Service.tenant_id.in_(ids))
        .group_by(Service.tenant_id)
    )
    counts: dict[uuid.UUID, dict[str, int]] = {}
    for tenant_id, published, drafts, retired in services:
        counts.setdefault(tenant_id, {}).update(
            published=int(published), drafts=int(drafts), retired=int(retired)
        )
    for model, name in ((Agency, "agencies"), (Category, "categories")):
        rows = await session.execute(
            select(model.tenant_id, func.count())
            .where(model.tenant_id.in_(ids))
            .group_by(model.tenant_id)
        )
        for tenant_id, count in rows:
            counts.setdefault(tenant_id, {})[name] = int(count)
    return {tenant_id: CatalogueSize(**found) for tenant_id, found in counts.items()}


async def _last_changes(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Change]:
    latest = (
        select(AuditEvent.tenant_id, func.max(AuditEvent.occurred_at).label("at"))
        .where(AuditEvent.tenant_id.in_(ids))
        .group_by(AuditEvent.tenant_id)
        .subquery()
    )
    rows = await session.execute(
        select(AuditEvent.tenant_id, AuditEvent.occurred_at, AuditEvent.actor, AuditEvent.action)
        .join(
            latest,
            and_(AuditEvent.tenant_id == latest.c.tenant_id, AuditEvent.occurred_at == latest.c.at),
        )
        .order_by(AuditEvent.tenant_id, AuditEvent.action, AuditEvent.actor)
    )
    changes: dict[uuid.UUID, Change] = {}
    for tenant_id, at, actor, action in rows:
        changes.setdefault(tenant_id, Change(at, actor, action))  # a tie: the first, stably
    return changes


def _coverage(
    tenant: TenantRecord, texts: Sequence[CatalogueText], directory: Path
) -> list[LocaleCoverage]:
    rows = [
        (row.locale, row.translated, row.total, row.gaps)
        for row in text_coverage(texts, tenant.locales)
    ]
    return tenant_coverage(directory, tenant.locales, tenant.default_locale, catalogue_texts=rows)


async def read_figures(
    session: AsyncSession, tenants: Sequence[TenantRecord], *, i18n_dir: Path | None = None
) -> list[TenantFigures]:
    """The figures of ``tenants``, in their order, read with ``session`` (whatever its scope)."""
    ids = [tenant.id for tenant in tenants]
    if not ids:
        return []
    sizes = await _catalogue_sizes(session, ids)
    texts = await catalogue_texts(session, ids)
    changes = await _last_changes(session, ids)
    directory = i18n_dir if i18n_dir is not None else i18n_directory()
    return [
        TenantFigures(
            tenant=tenant,
            catalogue=sizes.get(tenant.id, CatalogueSize()),
            coverage=_coverage(tenant, texts.get(tenant.id, []), directory),
            last_change=changes.get(tenant.id),
        )
        for tenant in tenants
    ]


async def tenants_overview(
    database: Database,
    tenants: Sequence[TenantRecord],
    *,
    reason: str = OVERVIEW_REASON,
    i18n_dir: Path | None = None,
) -> list[TenantFigures]:
    """Every tenant's figures, read across tenants in one platform-scope transaction."""
    with mostly_reading():
        async with database.transaction(PlatformScope(reason=reason)) as session:
            return await read_figures(session, tenants, i18n_dir=i18n_dir)


async def tenant_details(
    database: Database, tenant: TenantRecord, *, recent: int = 10, i18n_dir: Path | None = None
) -> TenantDetails:
    """One tenant's figures and its latest changes, read in that tenant's own scope."""
    with mostly_reading():
        async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
            figures = await read_figures(session, [tenant], i18n_dir=i18n_dir)
            events = (
                await session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.tenant_id == tenant.id)
                    .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id)
                    .limit(recent)
                )
            ).all()
            changes = [Change(e.occurred_at, e.actor, e.action, dict(e.detail)) for e in events]
    return TenantDetails(figures=figures[0], recent_changes=changes)
