"""A tenant bundle's ``catalogue.yaml``, loaded with the rest of the bundle.

``asan tenant load`` (and ``asan demo``) check every bundle's catalogue
before anything is written, then, in the transaction that writes its tenant
(``TenantRegistry.load(with_each=...)``), seed the catalogue of a tenant that
has none. A tenant's catalogue belongs to its admins once it exists: loading
the bundle again must not revert what they published or drop their drafts.
Replacing it from a file is a deliberate act: ``asan catalogue import``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from asan.catalogue.bundle import (
    CatalogueError,
    CatalogueFile,
    CatalogueProblem,
    TenantLanguages,
    read_catalogue_file,
)
from asan.catalogue.models import Service
from asan.catalogue.service import CatalogueService
from asan.tenancy.bundle import TenantBundle
from asan.tenancy.service import BundleHook

CATALOGUE_FILE = "catalogue.yaml"

CATALOGUE_KEPT = "catalogue kept"
"""The loader's note (English, printed by the CLI) when the tenant had a catalogue already."""
_SEEDED = "catalogue seeded ({services} services)"


def seeded_note(services: int) -> str:
    """The loader's note when the bundle's catalogue was stored: ``services`` were created."""
    return _SEEDED.format(services=services)


def seeded_services(note: str) -> int | None:
    """How many services a :func:`seeded_note` names; None for any other note."""
    before, _, after = _SEEDED.partition("{services}")
    found = re.fullmatch(re.escape(before) + r"(\d+)" + re.escape(after), note)
    return int(found.group(1)) if found else None


def read_bundle_catalogues(bundles: Sequence[TenantBundle]) -> dict[str, CatalogueFile]:
    """Every bundle's catalogue, checked against its own locales and currency.

    Bundle files are self-contained: a catalogue may refer only to agencies
    and categories it defines. All problems of all bundles are raised together.
    """
    catalogues: dict[str, CatalogueFile] = {}
    problems: list[CatalogueProblem] = []
    for bundle in bundles:
        path = bundle.directory / CATALOGUE_FILE
        if not path.is_file():
            continue
        try:
            catalogues[bundle.code] = read_catalogue_file(
                path, languages=TenantLanguages(bundle.locales, bundle.currency)
            )
        except CatalogueError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CatalogueError(problems)
    return catalogues


def catalogue_loader(catalogues: dict[str, CatalogueFile], *, actor: str) -> BundleHook:
    async def load(session: AsyncSession, tenant_id: uuid.UUID, bundle: TenantBundle) -> str | None:
        catalogue = catalogues.get(bundle.code)
        if catalogue is None:
            return None
        existing = await session.scalar(
            select(func.count()).select_from(Service).where(Service.tenant_id == tenant_id)
        )
        if existing:
            return CATALOGUE_KEPT
        report = await CatalogueService(
            session,
            tenant_id=tenant_id,
            languages=TenantLanguages(bundle.locales, bundle.currency),
            actor=actor,
        ).import_catalogue(catalogue)
        return seeded_note(report.created["services"])

    return load
