"""How much of a tenant's catalogue is written in each of its languages."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from asan.catalogue.bundle import service_texts
from asan.catalogue.models import Agency, Category, Service, ServiceVersion


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


async def catalogue_coverage(
    session: AsyncSession, tenant_id: uuid.UUID, locales: Sequence[str]
) -> list[TextCoverage]:
    """Per locale: texts present out of all texts of agencies, categories and each
    service's current version (its draft when it has one, else the published one)."""
    texts: list[tuple[str, Mapping[str, str]]] = []
    for agency in (
        await session.scalars(select(Agency).where(Agency.tenant_id == tenant_id))
    ).all():
        texts += [
            (f"agencies[{agency.code}].name", agency.name),
            (f"agencies[{agency.code}].description", agency.description),
        ]
    for category in (
        await session.scalars(select(Category).where(Category.tenant_id == tenant_id))
    ).all():
        texts.append((f"categories[{category.code}].name", category.name))
    rows = await session.execute(
        select(Service.code, ServiceVersion.content)
        .join(
            ServiceVersion,
            (ServiceVersion.tenant_id == Service.tenant_id)
            & (ServiceVersion.service_id == Service.id)
            & (
                ServiceVersion.number
                == func.coalesce(Service.draft_version, Service.published_version)
            ),
        )
        .where(Service.tenant_id == tenant_id)
    )
    for code, content in rows:
        texts += list(service_texts(content, f"services[{code}]"))
    report = []
    for locale in locales:
        gaps = [path for path, text in texts if not text.get(locale)]
        report.append(TextCoverage(locale, len(texts) - len(gaps), len(texts), gaps))
    return report
