"""Concurrent catalogue changes on PostgreSQL, through two engines (two processes' pools)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select, text

from asan.catalogue.models import CatalogueRevision, Service, ServiceVersion
from asan.db import Database, TenantScope, migrate
from asan.tenancy import Tenant
from tests.catalogue.support import catalogue_for, seed, service_entry
from tests.support.databases import ScratchDatabase
from tests.support.factories import create_tenant

pytestmark = pytest.mark.postgres_only


async def _wait_for_a_lock_wait(observer: Database) -> None:
    """Until some other transaction waits on a row lock (a condition, not a sleep)."""
    for _ in range(500):
        async with observer.system_connection() as connection:
            waiting = await connection.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the second transaction never waited for the first one's lock")


async def test_an_edit_cannot_slip_into_a_draft_being_published(
    fresh_database: ScratchDatabase, tmp_path: Path
) -> None:
    settings = fresh_database.settings(tmp_path)
    await asyncio.to_thread(migrate.upgrade, settings)
    first, second = (Database.from_url(fresh_database.runtime_url, pool_size=2) for _ in range(2))
    observer = Database.from_url(fresh_database.owner_url, pool_size=1)
    try:
        tenant: Tenant = await create_tenant(first, locales=("en", "fr"))
        await seed(first, tenant)
        scope = TenantScope(tenant.id, tenant.code)
        async with first.transaction(scope) as session:
            await catalogue_for(tenant, session).create_service(service_entry(status="draft"))
            before = await session.scalar(select(CatalogueRevision.revision))

        edit_holds_the_lock = asyncio.Event()
        let_the_edit_commit = asyncio.Event()

        async def edit() -> None:
            async with first.transaction(scope) as session:
                await catalogue_for(tenant, session).update_service(
                    "birth-certificate", {"name": {"fr": "Extrait de naissance"}}
                )
                edit_holds_the_lock.set()
                await let_the_edit_commit.wait()

        async def publish() -> None:
            await edit_holds_the_lock.wait()
            async with second.transaction(scope) as session:
                await catalogue_for(tenant, session).publish("birth-certificate")

        editing = asyncio.create_task(edit())
        publishing = asyncio.create_task(publish())
        await _wait_for_a_lock_wait(observer)  # the publish waits for the edit's row lock
        assert not publishing.done()
        let_the_edit_commit.set()
        await asyncio.gather(editing, publishing)

        async with first.transaction(scope) as session:
            service = (await session.scalars(select(Service))).one()
            published = (
                await session.scalars(
                    select(ServiceVersion).where(ServiceVersion.number == service.published_version)
                )
            ).one()
            revision = await session.scalar(select(CatalogueRevision.revision))
        # The publish saw the committed edit: what was published is what was reviewed last.
        assert published.content["name"]["fr"] == "Extrait de naissance"
        assert (service.status, service.draft_version, revision) == ("published", None, before + 1)
    finally:
        for database in (first, second, observer):
            await database.dispose()


async def test_concurrent_publishes_each_bump_the_revision(
    fresh_database: ScratchDatabase, tmp_path: Path
) -> None:
    settings = fresh_database.settings(tmp_path)
    await asyncio.to_thread(migrate.upgrade, settings)
    databases = [Database.from_url(fresh_database.runtime_url, pool_size=2) for _ in range(4)]
    try:
        tenant: Tenant = await create_tenant(databases[0], locales=("en", "fr"))
        await seed(databases[0], tenant)
        scope = TenantScope(tenant.id, tenant.code)
        codes = [f"service-{n}" for n in range(len(databases))]
        async with databases[0].transaction(scope) as session:
            for code in codes:
                await catalogue_for(tenant, session).create_service(
                    service_entry(code=code, status="draft")
                )
            before = await session.scalar(select(CatalogueRevision.revision))

        async def publish(database: Database, code: str) -> None:
            async with database.transaction(scope) as session:
                await catalogue_for(tenant, session).publish(code)

        await asyncio.gather(
            *(publish(db, code) for db, code in zip(databases, codes, strict=True))
        )
        async with databases[0].transaction(scope) as session:
            revision = await session.scalar(select(CatalogueRevision.revision))
        assert revision == before + len(codes)
    finally:
        for database in databases:
            await database.dispose()
