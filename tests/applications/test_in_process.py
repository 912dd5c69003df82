"""With the embedded SQLite default, ``asan serve`` delivers in its own process."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from asan.api.app import create_app
from asan.applications.models import Application
from asan.config import load_settings
from asan.db import Database, TenantScope, migrate
from tests.applications.support import body, host, make_world
from tests.support.databases import ScratchDatabase


def test_sqlite_serves_with_the_delivery_loop_and_postgresql_without() -> None:
    sqlite = load_settings({"ASAN_DATABASE_URL": "sqlite+aiosqlite:///x.db"})
    postgres = load_settings({"ASAN_DATABASE_URL": "postgresql+asyncpg://u@h/d"})
    forced = load_settings(
        {"ASAN_DATABASE_URL": "postgresql+asyncpg://u@h/d", "ASAN_DELIVERY_IN_PROCESS": "true"}
    )
    assert (sqlite.delivery.in_process, postgres.delivery.in_process) == (True, False)
    assert forced.delivery.in_process is True


async def test_the_in_process_loop_delivers_while_the_app_serves(
    fresh_database: ScratchDatabase, tmp_path: Path
) -> None:
    settings = fresh_database.settings(tmp_path, ASAN_DELIVERY_POLL_SECONDS="0.1")
    await asyncio.to_thread(migrate.upgrade, settings)
    database = Database.from_url(fresh_database.runtime_url, pool_size=4)
    world = await make_world(database)
    # The app opens its own engine: the test client serves it from another event loop,
    # and asyncpg connections belong to the loop that made them.
    app = create_app(settings, deliver_in_process=True)
    app.state.plugin_host = host()
    async with AsyncTestClient(app, base_url=f"http://{world.tenant.code}.localhost") as client:
        created = await client.post(
            "/api/v1/applications", json=body(), headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert created.status_code == 201, created.text
        status = "submitted"
        for _ in range(100):
            await asyncio.sleep(0.1)
            async with database.transaction(
                TenantScope(world.tenant.id, world.tenant.code)
            ) as session:
                status = (await session.scalars(select(Application.status))).one()
            if status == "forwarded":
                break
        assert status == "forwarded"
    assert world.agency.calls == 1
    await database.dispose()
