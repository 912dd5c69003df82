"""Reads beside a request's own transaction (policy, catalogue) never wait on it.

On SQLite a request that writes holds the write lock from its first statement;
a second transaction the request opens to read the policy must not ask for
that lock too, or the request waits on itself until the busy timeout.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx

from asan.api.app import create_app
from asan.db import Database, migrate
from tests.applications.support import body, make_world
from tests.support.databases import ScratchDatabase
from tests.support.staff import sign_in


async def test_a_staff_write_reads_the_policy_without_waiting_on_itself(
    fresh_database: ScratchDatabase, tmp_path: Path
) -> None:
    settings = fresh_database.settings(tmp_path, ASAN_POLICY_REFRESH_SECONDS="0")
    await asyncio.to_thread(migrate.upgrade, settings)
    database = Database.from_url(fresh_database.runtime_url, pool_size=4)
    try:
        world = await make_world(database)
        app = create_app(settings, database=database)
        transport = httpx.ASGITransport(app=app)
        host = f"http://{world.tenant.code}.localhost"
        async with httpx.AsyncClient(transport=transport, base_url=host) as client:
            created = await client.post(
                "/api/v1/applications", json=body(), headers={"Idempotency-Key": str(uuid.uuid4())}
            )
            assert created.status_code == 201, created.text
            await sign_in(client, f"operator@{world.tenant.code}")
            opened = await asyncio.wait_for(
                client.get(f"/api/v1/applications/{created.json()['id']}"), timeout=10
            )
            assert opened.status_code == 200, opened.text
            cancelled = await asyncio.wait_for(
                client.post(
                    f"/api/v1/applications/{created.json()['id']}/transitions",
                    json={"status": "cancelled", "note": "at the desk"},
                ),
                timeout=10,
            )
            assert cancelled.status_code == 200, cancelled.text
    finally:
        await database.dispose()
