"""How much of a tenant's catalogue is written in each of its languages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from asan.catalogue.bundle import SERVICE_TEXTS
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


def _texts(path: str, content: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, str]]]:
    for key in SERVICE_TEXTS:
        yield f"{path}.{key}", content.get(key, {})
    for index, document in enumerate(content.get("required_documents", [])):
        yield f"{path}.required_documents[{index}]", document
    for index, form_field in enumerate(content.get("form", [])):
        yield f"{path}.form[{index}].label", form_field.get("label", {})
        for number, option in enumerate(form_field.get("options", [])):
            yield f"{path}.form[{index}].options[{number}].label", option.get("label", {})


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
        texts += list(_texts(f"services[{code}]", content))
    report = []
    for locale in locales:
        gaps = [path for path, text in texts if not text.get(locale)]
        report.append(TextCoverage(locale, len(texts) - len(gaps), len(texts), gaps))
    return report
