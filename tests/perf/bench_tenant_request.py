"""Benchmark: what the platform's request pipeline costs over a bare endpoint.

Both apps answer ``GET /api/v1/tenant`` for ``az.localhost`` from the same
migrated database, in the same run, driven in-process (httpx over ASGI, no
sockets) by the same number of concurrent clients:

- **asan**: the real app (host -> tenant resolution from the registry, scope,
  request id, logging, transaction, error handling) with its default 5-second
  host cache;
- **asan-nocache**: the same with ``ASAN_TENANT_CACHE_SECONDS=0``, every request
  reading the registry: the cost of the pipeline itself;
- **bare**: a Litestar app with one handler and no middleware that reads the
  profile with one SQL query.

Run with ``make bench``; set ASAN_TEST_DATABASE_URL to measure on PostgreSQL too.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar, Request, get
from sqlalchemy import text

from asan.api import create_app
from asan.db import Database, migrate
from asan.logging import configure_logging
from asan.tenancy import TenantRegistry, read_bundles
from asan.tenancy.bundle import bundle_directories
from tests.support.databases import (
    REPO_ROOT,
    create_database,
    drop_database,
    postgres_admin_url,
)

REQUESTS = 3000
CONCURRENCY = 8
WARM_UP = 200


def bare_app(database: Database) -> Litestar:
    @get("/api/v1/tenant")
    async def profile(request: Request[Any, Any, Any]) -> dict[str, Any]:
        code = request.headers["host"].split(".")[0]
        async with database.system_connection() as connection:
            row = (
                await connection.execute(
                    text(
                        "SELECT code, names, locales, default_locale, timezone, currency "
                        "FROM tenants WHERE code = :code"
                    ),
                    {"code": code},
                )
            ).one()
        return dict(row._mapping)

    return Litestar(route_handlers=[profile], logging_config=None)


async def measure(
    app: Litestar, host: str, path: str = "/api/v1/tenant"
) -> tuple[float, list[float]]:
    transport = httpx.ASGITransport(app=app)
    latencies: list[float] = []
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
        for _ in range(WARM_UP):
            (await client.get(path)).raise_for_status()
        remaining = REQUESTS

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
                # In-process there is no socket to wait on: a request served from
                # memory never yields, and one client would starve the others.
                # A real server yields on every read and write; so do we, once.
                await asyncio.sleep(0)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


def p(latencies: list[float], quantile: float) -> float:
    return statistics.quantiles(latencies, n=100)[int(quantile) - 1] * 1000


async def run_backend(backend: str, directory: Path) -> list[tuple[str, str, float, float, float]]:
    scratch = await asyncio.to_thread(create_database, backend, directory)
    try:
        settings = scratch.settings(directory, ASAN_TENANT_CACHE_SECONDS="5")
        uncached = scratch.settings(directory, ASAN_TENANT_CACHE_SECONDS="0")
        configure_logging(settings)
        await asyncio.to_thread(migrate.upgrade, settings)
        database = Database.from_url(scratch.runtime_url, pool_size=CONCURRENCY)
        bundles = read_bundles(bundle_directories(REPO_ROOT / "tenants"))
        await TenantRegistry(database, base_domain="localhost").load(bundles, actor="bench")
        rows = []
        apps = (
            ("bare", bare_app(database)),
            ("asan", create_app(settings, database=database)),
            ("asan-nocache", create_app(uncached, database=database)),
        )
        for name, app in apps:
            rate, latencies = await measure(app, "az.localhost")
            rows.append((backend, name, rate, p(latencies, 50), p(latencies, 99)))
        await database.dispose()
        return rows
    finally:
        await asyncio.to_thread(drop_database, scratch)


async def main() -> None:
    backends = ["sqlite"] + (["postgresql"] if postgres_admin_url() else [])
    print(f"GET /api/v1/tenant, {REQUESTS} requests, {CONCURRENCY} concurrent clients, in-process")
    print(f"{'backend':<11} {'app':<13} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8}")
    with tempfile.TemporaryDirectory() as directory:
        for backend in backends:
            rows = await run_backend(backend, Path(directory))
            bare_rate = rows[0][2]
            for backend_name, app, rate, p50, p99 in rows:
                ratio = f"{rate / bare_rate:.2f}x" if app != "bare" else ""
                print(
                    f"{backend_name:<11} {app:<13} {rate:>8.0f} {p50:>8.2f} {p99:>8.2f} {ratio:>8}"
                )
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
