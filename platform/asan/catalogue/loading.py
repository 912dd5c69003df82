"""A tenant bundle's ``catalogue.yaml``, loaded with the rest of the bundle.

``asan tenant load`` (and ``asan demo``) check every bundle's catalogue
before anything is written, then import each one in the transaction that
writes its tenant, through ``TenantRegistry.load(with_each=...)``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from asan.catalogue.bundle import (
    CatalogueError,
    CatalogueFile,
    CatalogueProblem,
    TenantLanguages,
    read_catalogue_file,
)
from asan.catalogue.service import CatalogueService
from asan.tenancy.bundle import TenantBundle
from asan.tenancy.service import BundleHook

CATALOGUE_FILE = "catalogue.yaml"


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
        report = await CatalogueService(
            session,
            tenant_id=tenant_id,
            languages=TenantLanguages(bundle.locales, bundle.currency),
            actor=actor,
        ).import_catalogue(catalogue)
        services = len(catalogue.services)
        changed = report.created["services"] + report.updated["services"]
        return f"catalogue {services} services ({changed} changed)"

    return load
