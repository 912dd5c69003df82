"""Benchmark: GET /api/v1/services against a bare endpoint doing one SQL query.

A tenant with 400 published services in three languages (the az demo
catalogue, repeated under new codes). Both apps answer the first page of 100
services in Russian, in-process (httpx over ASGI), in the same run:

- **asan**: the real endpoint: tenant, locale negotiation, the cached
  published catalogue, localized items with ``fee_display``;
- **bare**: a Litestar handler with no middleware that selects the same 100
  rows (service code and published content) with one SQL query and returns
  them with the Russian name picked out. On PostgreSQL it connects as the
  owner, so that row-level security costs it nothing either.

Run with ``make bench``; set ASAN_TEST_DATABASE_URL to measure on PostgreSQL too.
"""

from __future__ import annotations

import asyncio
import copy
import json
import tempfile
from pathlib import Path
from typing import Any

from litestar import Litestar, get
from sqlalchemy import text

from asan.api import create_app
from asan.catalogue.bundle import TenantLanguages, read_catalogue
from asan.catalogue.service import CatalogueService
from asan.db import Database, TenantScope, migrate
from asan.logging import configure_logging
from asan.tenancy import TenantRegistry, read_bundles
from asan.tenancy.bundle import bundle_directories
from tests.perf.bench_tenant_request import measure, p
from tests.support.databases import (
    REPO_ROOT,
    create_database,
    drop_database,
    postgres_admin_url,
)

SERVICES = 400
PAGE_SIZE = 100
LANGUAGES = TenantLanguages(("az", "en", "ru"), "AZN")


def bare_app(database: Database, tenant_id: str) -> Litestar:
    @get("/api/v1/services")
    async def services() -> dict[str, Any]:
        async with database.system_connection() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT s.code, v.content FROM services s JOIN service_versions v "
                        "ON v.tenant_id = s.tenant_id AND v.service_id = s.id "
                        "AND v.number = s.published_version "
                        "WHERE s.tenant_id = :t AND s.status = 'published' "
                        "ORDER BY s.code LIMIT :n"
                    ),
                    {"t": tenant_id, "n": PAGE_SIZE},
                )
            ).all()
        items = []
        for code, content in rows:
            content = content if isinstance(content, dict) else json.loads(content)
            items.append(
                {
                    "code": code,
                    "name": content["name"]["ru"],
                    "category": content["category"],
                    "agency": content["agency"],
                    "fee": content["fee"],
                    "processing_time": content["processing_time"],
                    "channels": content["channels"],
                }
            )
        return {"items": items, "total": SERVICES, "page": 1, "page_size": PAGE_SIZE}

    return Litestar(route_handlers=[services], logging_config=None)


async def run_backend(backend: str, directory: Path) -> list[tuple[str, str, float, float, float]]:
    scratch = await asyncio.to_thread(create_database, backend, directory)
    try:
        settings = scratch.settings(directory, ASAN_TENANT_CACHE_SECONDS="5")
        configure_logging(settings)
        await asyncio.to_thread(migrate.upgrade, settings)
        database = Database.from_url(scratch.runtime_url, pool_size=8)
        registry = TenantRegistry(database, base_domain="localhost")
        await registry.load(
            read_bundles(bundle_directories(REPO_ROOT / "tenants" / "az")), actor="bench"
        )
        tenant = await registry.get("az")
        source = read_catalogue(
            (REPO_ROOT / "tenants" / "az" / "catalogue.yaml").read_text(encoding="utf-8"),
            source="az",
            languages=LANGUAGES,
        )
        originals = list(source.services)
        source.services = []
        for index in range(SERVICES):
            entry = copy.deepcopy(originals[index % len(originals)])
            entry["code"] = f"{entry['code'][:50]}-{index:03d}"
            source.services.append(entry)
        async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
            await CatalogueService(
                session, tenant_id=tenant.id, languages=LANGUAGES, actor="bench"
            ).import_catalogue(source)
        rows = []
        path = f"/api/v1/services?page_size={PAGE_SIZE}&lang=ru"
        owner = Database.from_url(scratch.owner_url, pool_size=8)
        for name, app in (
            ("bare", bare_app(owner, str(tenant.id))),
            ("asan", create_app(settings, database=database)),
        ):
            rate, latencies = await measure(app, "az.localhost", path=path)
            rows.append((backend, name, rate, p(latencies, 50), p(latencies, 99)))
        await owner.dispose()
        await database.dispose()
        return rows
    finally:
        await asyncio.to_thread(drop_database, scratch)


async def main() -> None:
    backends = ["sqlite"] + (["postgresql"] if postgres_admin_url() else [])
    print(
        f"GET /api/v1/services?page_size={PAGE_SIZE}, {SERVICES} services x 3 languages, in-process"
    )
    print(f"{'backend':<11} {'app':<6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8}")
    with tempfile.TemporaryDirectory() as directory:
        for backend in backends:
            rows = await run_backend(backend, Path(directory))
            bare_rate = rows[0][2]
            for backend_name, app, rate, p50, p99 in rows:
                ratio = f"{rate / bare_rate:.2f}x" if app != "bare" else ""
                print(
                    f"{backend_name:<11} {app:<6} {rate:>8.0f} {p50:>8.2f} {p99:>8.2f} {ratio:>8}"
                )


if __name__ == "__main__":
    asyncio.run(main())
