"""One transaction per request: a failed commit is a clean JSON 500, and the
end of a transaction survives cancellation."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from asan.api import create_app
from asan.api.context import complete_despite_cancellation
from asan.audit import AuditEvent
from asan.config import Settings
from asan.db import Database, TenantScope
from tests.support.factories import create_tenant
from tests.support.probe import ProbePlugin


async def test_a_failed_commit_answers_a_json_500_and_writes_nothing(
    settings: Settings, database: Database
) -> None:
    tenant = await create_tenant(database)
    app = create_app(settings, database=database, plugins=[ProbePlugin()])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=f"http://{tenant.code}.localhost"
    ) as client:
        response = await client.post(
            "/api/v1/_probe/conflict", headers={"X-Request-ID": "commit-fails-1"}
        )
    assert response.status_code == 500
    assert response.json() == {
        "status": 500,
        "code": "commit_failed",
        "message": "The change could not be saved and nothing was written; try again.",
        "detail": {},
        "request_id": "commit-fails-1",
    }
    assert response.headers["x-request-id"] == "commit-fails-1"
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 0


async def test_work_completes_even_when_the_caller_is_cancelled_twice() -> None:
    release = asyncio.Event()
    finished = asyncio.Event()

    async def rollback_that_takes_time() -> None:
        await release.wait()
        finished.set()

    caller = asyncio.create_task(complete_despite_cancellation(rollback_that_takes_time()))
    await asyncio.sleep(0)
    caller.cancel()
    await asyncio.sleep(0)
    caller.cancel()
    await asyncio.sleep(0)
    assert not caller.done()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert finished.is_set()
