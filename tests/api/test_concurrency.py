"""Many concurrent requests for different tenants, some cancelled midway:
afterwards no response, row or pooled connection carries another tenant."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import func, select, text

from asan.api import create_app
from asan.audit import AuditEvent
from asan.db import Database, PlatformScope, migrate
from asan.tenancy import Tenant
from tests.support.databases import ScratchDatabase
from tests.support.factories import create_tenant
from tests.support.probe import ProbePlugin

POOL_SIZE = 4  # with as many overflow connections: 8 in all, 5 held by blocked requests
REQUESTS = 90
CANCELLED_READS = 3
CANCELLED_WRITES = 2  # PostgreSQL only: on SQLite a held write would block every other writer


async def test_concurrent_and_cancelled_requests_do_not_leak_tenants(
    fresh_database: ScratchDatabase, tmp_path: Path, backend: str
) -> None:
    settings = fresh_database.settings(tmp_path)
    await asyncio.to_thread(migrate.upgrade, settings)
    database = Database.from_url(fresh_database.runtime_url, pool_size=POOL_SIZE)
    probe = ProbePlugin()
    app = create_app(settings, database=database, plugins=[probe])
    tenants: list[Tenant] = [await create_tenant(database) for _ in range(3)]
    rng = random.Random(20261129)
    transport = httpx.ASGITransport(app=app)

    async def call(
        tenant: Tenant, method: str, block: bool = False
    ) -> tuple[Tenant, str, httpx.Response]:
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{tenant.code}.localhost"
        ) as client:
            params = {"block": "true"} if block else {}
            return (
                tenant,
                method,
                await client.request(method, "/api/v1/_probe/events", params=params),
            )

    try:
        plan = [(rng.choice(tenants), rng.choice(["GET", "POST"])) for _ in range(REQUESTS)]
        blocking = [(rng.choice(tenants), "GET") for _ in range(CANCELLED_READS)]
        if backend == "postgresql":
            blocking += [(rng.choice(tenants), "POST") for _ in range(CANCELLED_WRITES)]

        blocked_tasks = [asyncio.create_task(call(t, m, block=True)) for t, m in blocking]
        for _ in blocking:  # every blocking request has done its work and holds a connection
            await asyncio.wait_for(probe.blocked.get(), timeout=60)
        results = await asyncio.gather(*(call(t, m) for t, m in plan))
        for task in blocked_tasks:
            task.cancel()
        cancelled = await asyncio.gather(*blocked_tasks, return_exceptions=True)
        assert all(isinstance(outcome, asyncio.CancelledError) for outcome in cancelled)

        # Every response speaks for the tenant whose host it was sent to, and only it.
        for tenant, method, response in results:
            assert response.status_code in (200, 201), response.text
            body = response.json()
            assert body["tenant"] == tenant.code
            assert body["scope"] == tenant.code
            assert set(body["event_tenants"]) <= {str(tenant.id)}
            if method == "POST":
                assert body["event_tenant"] == str(tenant.id)
            if backend == "postgresql":
                assert body["postgres_tenant_setting"] == str(tenant.id)

        # Rows: exactly the completed writes, each stamped with its own tenant.
        expected = Counter(t.code for t, m, _ in results if m == "POST")
        async with database.transaction(PlatformScope(reason="test: count probe rows")) as session:
            rows = (
                await session.execute(
                    select(Tenant.code, func.count())
                    .join(AuditEvent, AuditEvent.tenant_id == Tenant.id)
                    .where(AuditEvent.action == "probe.write")
                    .group_by(Tenant.code)
                )
            ).all()
        assert Counter(dict(rows)) == expected

        # Pool: nothing left checked out, and no connection remembers a tenant.
        assert database.bind.pool.checkedout() == 0  # type: ignore[union-attr]
        if backend == "postgresql":

            async def setting_on_a_pooled_connection() -> str | None:
                async with database.system_connection() as connection:
                    value = await connection.scalar(
                        text("SELECT current_setting('asan.tenant_id', true)")
                    )
                    await asyncio.sleep(0)  # hold it while the others check theirs out
                    return value  # type: ignore[no-any-return]

            values = await asyncio.gather(
                *(setting_on_a_pooled_connection() for _ in range(POOL_SIZE))
            )
            assert set(values) <= {None, ""}
    finally:
        await database.dispose()
