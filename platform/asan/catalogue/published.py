"""What the public sees of a tenant's catalogue, cached per tenant.

The catalogue is read far more often than it changes, so each process keeps
one immutable snapshot per tenant, keyed by the tenant's id. A snapshot
carries the catalogue revision it was read at; every transaction that changes
the catalogue bumps the revision. A process checks the revision at most every
``refresh_seconds`` (one indexed read of one row), so a publish in one process
reaches the others within that time; in the publishing process it is dropped at
once, after commit.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from asan.catalogue.bundle import Checker, TenantLanguages
from asan.catalogue.models import (
    Agency,
    CatalogueRevision,
    Category,
    Service,
    ServiceStatus,
    ServiceVersion,
)
from asan.db import Database
from asan.tenancy import TenantRecord
from asan.tenancy.cache import TenantCache


def searchable(text: str) -> str:
    """Case- and accent-insensitive form for search: ``İcazə``, ``icazə`` and ``ICAZƏ`` match.

    Case-folding alone turns the Azerbaijani/Turkish dotted capital İ into
    "i" plus a combining dot, which "i" would not match; dropping combining
    marks after decomposition puts both sides on the same letters.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True, slots=True)
class PublishedService:
    code: str
    content: dict[str, Any]
    """Canonical content of the published version (category, agency, texts, fee, ...)."""
    version: int
    published_at: datetime | None
    search_text: dict[str, str]
    """Per locale: name and description, case-folded, for full-text search."""


@dataclass(frozen=True, slots=True)
class PublishedCatalogue:
    tenant_id: uuid.UUID
    revision: int
    agencies: dict[str, dict[str, Any]]
    categories: list[dict[str, Any]]
    """In display order."""
    services: list[PublishedService]
    """In category order, then by code."""
    by_code: dict[str, PublishedService] = field(repr=False)
    views: dict[tuple[str, str, str], Any] = field(default_factory=dict, repr=False)
    """Memo of rendered views, keyed (kind, locale, code): a snapshot never changes,
    so a service is localized and formatted once per language, not per request."""

    def view(self, kind: str, locale: str, code: str, render: Callable[[], Any]) -> Any:
        key = (kind, locale, code)
        found = self.views.get(key)
        if found is None:
            found = self.views[key] = render()
        return found

    def matching(
        self,
        *,
        locale: str,
        category: str | None = None,
        agency: str | None = None,
        channel: str | None = None,
        query: str | None = None,
    ) -> list[PublishedService]:
        words = searchable(query).split() if query else []
        return [
            service
            for service in self.services
            if (category is None or service.content["category"] == category)
            and (agency is None or service.content["agency"] == agency)
            and (channel is None or channel in service.content["channels"])
            and all(word in service.search_text.get(locale, "") for word in words)
        ]


async def read_published(
    session: AsyncSession, tenant_id: uuid.UUID, languages: TenantLanguages, revision: int
) -> PublishedCatalogue:
    checker = Checker("stored", languages)
    agencies = {
        row.code: checker.agency(
            "",
            {
                "code": row.code,
                "kind": row.kind,
                "name": row.name,
                "description": row.description,
                "contact": row.contact,
            },
        )
        for row in (
            await session.scalars(select(Agency).where(Agency.tenant_id == tenant_id))
        ).all()
    }
    categories = [
        checker.category("", {"code": row.code, "order": row.position, "name": row.name})
        for row in (
            await session.scalars(
                select(Category)
                .where(Category.tenant_id == tenant_id)
                .order_by(Category.position, Category.code)
            )
        ).all()
    ]
    position = {category["code"]: index for index, category in enumerate(categories)}
    rows = await session.execute(
        select(
            Service.code, ServiceVersion.number, ServiceVersion.content, ServiceVersion.published_at
        )
        .join(
            ServiceVersion,
            (ServiceVersion.tenant_id == Service.tenant_id)
            & (ServiceVersion.service_id == Service.id)
            & (ServiceVersion.number == Service.published_version),
        )
        .where(Service.tenant_id == tenant_id, Service.status == ServiceStatus.PUBLISHED.value)
    )
    services = []
    for code, number, stored, published_at in rows:
        content = checker.service("", {"code": code, **stored})
        content.pop("code"), content.pop("status")
        search_text = {
            locale: searchable(
                " ".join((content["name"].get(locale, ""), content["description"].get(locale, "")))
            )
            for locale in languages.locales
        }
        services.append(PublishedService(code, content, number, published_at, search_text))
    services.sort(key=lambda s: (position.get(s.content["category"], len(position)), s.code))
    return PublishedCatalogue(
        tenant_id=tenant_id,
        revision=revision,
        agencies=agencies,
        categories=categories,
        services=services,
        by_code={service.code: service for service in services},
    )


async def _read_if_revised(
    session: AsyncSession, tenant: TenantRecord, kept: PublishedCatalogue | None
) -> PublishedCatalogue:
    """The catalogue at its current revision: ``kept`` when it is at that revision still."""
    # The revision first: content read after it is at least that new.
    revision = (
        await session.scalar(
            select(CatalogueRevision.revision).where(CatalogueRevision.tenant_id == tenant.id)
        )
        or 0
    )
    if kept is not None and kept.revision == revision:
        return kept
    return await read_published(
        session, tenant.id, TenantLanguages(tenant.locales, tenant.currency), revision
    )


class PublishedCatalogueCache(TenantCache[PublishedCatalogue]):
    def __init__(self, database: Database, *, refresh_seconds: float) -> None:
        super().__init__(database, refresh_seconds=refresh_seconds, load=_read_if_revised)
