"""How much of a tenant's catalogue is written in each of its languages.

The one place that says which catalogue texts count: agencies' names and
descriptions, categories' names, and the texts of each service's current
version (its draft when it has one, else the published one). ``asan i18n
coverage``, the console's translation page and the central team's tenant
overview all count with it, so their figures agree.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from asan.catalogue.bundle import service_texts
from asan.catalogue.models import Agency, Category, Service, ServiceVersion

CatalogueText = tuple[str, Mapping[str, str]]
"""A text's path (``services[passport].name``) and the text per locale."""


@dataclass(frozen=True, slots=True)
class TextCoverage:
    locale: str
    translated: int
    total: int
    gaps: list[str]
    """Where the text is missing, e.g. ``services[passport].name``."""

    @property
    def share(self) -> float:
        return self.translated / self.total if self.total else 1.0


def current_versions(*columns: Any) -> Select[Any]:
    """``columns`` with the content of each service's current version.

    The current version is the draft when there is one, else the published
    one: what an editor works on, and what the coverage counts.
    """
    return select(*columns, ServiceVersion.content).join(
        ServiceVersion,
        (ServiceVersion.tenant_id == Service.tenant_id)
        & (ServiceVersion.service_id == Service.id)
        & (
            ServiceVersion.number == func.coalesce(Service.draft_version, Service.published_version)
        ),
    )


async def catalogue_texts(
    session: AsyncSession, tenant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CatalogueText]]:
    """Every translatable catalogue text of each tenant, with its path."""
    texts: dict[uuid.UUID, list[CatalogueText]] = {}
    agencies = await session.execute(
        select(Agency.tenant_id, Agency.code, Agency.name, Agency.description).where(
            Agency.tenant_id.in_(tenant_ids)
        )
    )
    for tenant_id, code, name, description in agencies:
        texts.setdefault(tenant_id, []).extend(
            [(f"agencies[{code}].name", name), (f"agencies[{code}].description", description)]
        )
    categories = await session.execute(
        select(Category.tenant_id, Category.code, Category.name).where(
            Category.tenant_id.in_(tenant_ids)
        )
    )
    for tenant_id, code, name in categories:
        texts.setdefault(tenant_id, []).append((f"categories[{code}].name", name))
    versions = await session.execute(
        current_versions(Service.tenant_id, Service.code).where(Service.tenant_id.in_(tenant_ids))
    )
    for tenant_id, code, content in versions:
        texts.setdefault(tenant_id, []).extend(service_texts(content, f"services[{code}]"))
    return texts


def text_coverage(texts: Sequence[CatalogueText], locales: Sequence[str]) -> list[TextCoverage]:
    """Per locale: the texts present out of all ``texts``, and where they are missing."""
    report = []
    for locale in locales:
        gaps = [path for path, text in texts if not text.get(locale)]
        report.append(TextCoverage(locale, len(texts) - len(gaps), len(texts), gaps))
    return report


async def catalogue_coverage(
    session: AsyncSession, tenant_id: uuid.UUID, locales: Sequence[str]
) -> list[TextCoverage]:
    """Per locale: texts present out of all the texts of one tenant's catalogue."""
    texts = await catalogue_texts(session, [tenant_id])
    return text_coverage(texts.get(tenant_id, []), locales)
