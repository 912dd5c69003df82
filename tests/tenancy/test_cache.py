"""The per-process tenant cache: one read at a time per tenant, whatever the number of requests."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from asan.db import Database
from asan.tenancy import TenantRecord
from asan.tenancy.cache import TenantCache
from tests.support.factories import create_tenant

REQUESTS = 10


class Loader:
    """Counts its reads; each waits for ``release`` (set: no waiting), then gives its number."""

    def __init__(self) -> None:
        self.reads = 0
        self.release = asyncio.Event()
        self.release.set()
        self.failure: Exception | None = None

    async def __call__(self, session: AsyncSession, tenant: TenantRecord, kept: int | None) -> int:
        self.reads += 1
        number = self.reads
        await self.release.wait()
        if self.failure is not None:
            raise self.failure
        return number


async def _expired(database: Database) -> tuple[TenantCache[int], Loader, TenantRecord]:
    """A cache holding the tenant's value, expired; its loader now waits to be released."""
    tenant = TenantRecord.of(await create_tenant(database))
    loader = Loader()
    cache = TenantCache(database, refresh_seconds=3600, load=loader)
    assert await cache.get(tenant) == 1
    cache.refresh_seconds = 0  # every kept value is stale from now on
    loader.release.clear()
    return cache, loader, tenant


async def _started(cache: TenantCache[int], tenant: TenantRecord) -> list[asyncio.Task[int]]:
    requests = [asyncio.create_task(cache.get(tenant)) for _ in range(REQUESTS)]
    for _ in range(5):
        await asyncio.sleep(0)  # every request has found the value stale and is waiting
    return requests


async def test_concurrent_requests_after_expiry_read_once(database: Database) -> None:
    cache, loader, tenant = await _expired(database)
    requests = await _started(cache, tenant)
    loader.release.set()
    assert await asyncio.gather(*requests) == [2] * REQUESTS
    assert loader.reads == 2  # the first read, then one for all ten


async def test_a_failed_read_reaches_every_waiter_and_stores_nothing(database: Database) -> None:
    cache, loader, tenant = await _expired(database)
    requests = await _started(cache, tenant)
    loader.failure = RuntimeError("database away")
    loader.release.set()
    outcomes = await asyncio.gather(*requests, return_exceptions=True)
    assert all(outcome is loader.failure for outcome in outcomes)
    assert loader.reads == 2
    loader.failure = None
    cache.refresh_seconds = 3600
    assert await cache.get(tenant) == 1  # the failed read stored nothing: the older value stands
    cache.refresh_seconds = 0
    assert await cache.get(tenant) == 3  # and the next request reads again


async def test_a_request_after_forget_does_not_join_the_older_read(database: Database) -> None:
    cache, loader, tenant = await _expired(database)
    before = await _started(cache, tenant)
    cache.forget(tenant.id)  # a change committed while the read was under way
    after = asyncio.create_task(cache.get(tenant))
    await asyncio.sleep(0)
    loader.release.set()
    assert await asyncio.gather(*before) == [2] * REQUESTS
    assert await after == 3
    cache.refresh_seconds = 3600
    assert await cache.get(tenant) == 3  # the newer read was kept, the older one was not


async def test_a_waiter_reads_itself_when_the_reading_request_is_cancelled(
    database: Database,
) -> None:
    cache, loader, tenant = await _expired(database)
    first, *others = await _started(cache, tenant)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    for _ in range(5):
        await asyncio.sleep(0)  # one of the others reads, the rest wait for it
    loader.release.set()
    assert await asyncio.gather(*others) == [3] * (REQUESTS - 1)
    assert loader.reads == 3
