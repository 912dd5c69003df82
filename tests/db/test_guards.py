"""The ORM wall: listeners scope statements, stamp rows and refuse crossings,
in the session path the app really uses."""

from __future__ import annotations

import httpx
import pytest
import structlog.testing
from sqlalchemy import delete, func, insert, select, text, update

from asan.api import create_app
from asan.audit import AuditEvent
from asan.db import Database, PlatformScope, RegistryScope, TenantScope, use_scope
from asan.db._guards import ScopedSession
from asan.errors import TenantScopeError
from asan.tenancy import Tenant
from tests.support.factories import create_tenant
from tests.support.probe import ProbePlugin


def scope_of(tenant: Tenant) -> TenantScope:
    return TenantScope(tenant.id, tenant.code)


async def add_events(database: Database, tenant: Tenant, count: int) -> None:
    async with database.transaction(scope_of(tenant)) as session:
        for n in range(count):
            session.add(
                AuditEvent(actor=f"{tenant.code}-actor", action="test.event", detail={"n": n})
            )


async def test_sessions_use_the_class_the_listeners_are_registered_on(database: Database) -> None:
    tenant = await create_tenant(database)
    session = database.session(scope_of(tenant))
    assert isinstance(session.sync_session, ScopedSession)
    await session.close()


async def test_listeners_fire_in_the_request_path(settings, database: Database) -> None:
    """Through a real request: the session the app hands a handler is guarded."""
    first, second = await create_tenant(database), await create_tenant(database)
    await add_events(database, first, 1)
    await add_events(database, second, 1)
    app = create_app(settings, database=database, plugins=[ProbePlugin()])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=f"http://{first.code}.localhost"
    ) as client:
        response = await client.get("/api/v1/_probe/events")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["session_class"] == "ScopedSession"
    assert body["scope"] == first.code
    assert body["event_tenants"] == [str(first.id)]


async def test_opening_a_session_without_a_scope_is_refused(database: Database) -> None:
    with pytest.raises(TenantScopeError, match="no tenant in context"):
        database.session()


async def test_a_session_whose_scope_was_removed_fails_closed(database: Database) -> None:
    tenant = await create_tenant(database)
    session = database.session(scope_of(tenant))
    session.info.clear()
    with pytest.raises(TenantScopeError, match="no scope"):
        await session.execute(select(AuditEvent))
    await session.close()


async def test_select_sees_only_the_current_tenant(database: Database) -> None:
    first, second = await create_tenant(database), await create_tenant(database)
    await add_events(database, first, 2)
    await add_events(database, second, 3)
    with use_scope(scope_of(first)):
        async with database.transaction() as session:
            events = (await session.scalars(select(AuditEvent))).all()
            counted = await session.scalar(select(func.count()).select_from(AuditEvent))
    assert {event.tenant_id for event in events} == {first.id}
    assert len(events) == 2
    assert counted == 2


async def test_bulk_update_and_delete_touch_only_the_current_tenant(database: Database) -> None:
    first, second = await create_tenant(database), await create_tenant(database)
    await add_events(database, first, 1)
    await add_events(database, second, 2)
    async with database.transaction(scope_of(first)) as session:
        await session.execute(update(AuditEvent).values(actor="changed"))
        await session.execute(delete(AuditEvent).where(AuditEvent.action == "test.event"))
    async with database.transaction(scope_of(second)) as session:
        actors = (await session.scalars(select(AuditEvent.actor))).all()
    assert sorted(actors) == [f"{second.code}-actor"] * 2


async def test_new_rows_are_stamped_with_the_current_tenant(database: Database) -> None:
    tenant = await create_tenant(database)
    async with database.transaction(scope_of(tenant)) as session:
        event = AuditEvent(actor="someone", action="test.event", detail={})
        session.add(event)
    assert event.tenant_id == tenant.id


async def test_inserting_a_row_for_another_tenant_is_refused(database: Database) -> None:
    first, second = await create_tenant(database), await create_tenant(database)
    with pytest.raises(TenantScopeError, match="refused to insert"):
        async with database.transaction(scope_of(first)) as session:
            session.add(AuditEvent(tenant_id=second.id, actor="x", action="test.event", detail={}))


async def test_writing_a_row_of_another_tenant_is_refused(database: Database) -> None:
    first, second = await create_tenant(database), await create_tenant(database)
    await add_events(database, second, 1)
    async with database.transaction(scope_of(second)) as session:
        event = (await session.scalars(select(AuditEvent))).one()
    with pytest.raises(TenantScopeError, match="refused to write"):
        async with database.transaction(scope_of(first)) as session:
            merged = await session.merge(event, load=False)
            merged.actor = "intruder"


async def test_moving_a_row_to_another_tenant_is_refused_even_for_the_platform(
    database: Database,
) -> None:
    first, second = await create_tenant(database), await create_tenant(database)
    await add_events(database, first, 1)
    with pytest.raises(TenantScopeError, match="refused to move"):
        async with database.transaction(PlatformScope(reason="test")) as session:
            event = (await session.scalars(select(AuditEvent))).one()
            event.tenant_id = second.id


async def test_platform_scope_sees_every_tenant_and_is_logged(database: Database) -> None:
    first, second = await create_tenant(database), await create_tenant(database)
    await add_events(database, first, 1)
    await add_events(database, second, 1)
    with structlog.testing.capture_logs() as logs:
        session = database.session(PlatformScope(reason="count for the test"))
        await session.close()
    assert {"event": "platform scope opened", "reason": "count for the test"}.items() <= logs[
        0
    ].items()
    async with database.transaction(PlatformScope(reason="count for the test")) as session:
        tenants = set(
            (
                await session.scalars(
                    select(AuditEvent.tenant_id).where(
                        AuditEvent.tenant_id.in_([first.id, second.id])
                    )
                )
            ).all()
        )
    assert tenants == {first.id, second.id}


async def test_platform_scope_must_name_the_tenant_of_new_rows(database: Database) -> None:
    with pytest.raises(TenantScopeError, match="explicit tenant_id"):
        async with database.transaction(PlatformScope(reason="test")) as session:
            session.add(AuditEvent(actor="x", action="test.event", detail={}))


async def test_registry_scope_reads_platform_tables_only(database: Database) -> None:
    tenant = await create_tenant(database)
    async with database.transaction(RegistryScope()) as session:
        assert (await session.scalars(select(Tenant).where(Tenant.id == tenant.id))).one()
        with pytest.raises(TenantScopeError, match="platform tables only"):
            await session.execute(select(AuditEvent))


async def test_registry_scope_is_read_only(database: Database) -> None:
    with pytest.raises(TenantScopeError, match="read-only"):
        async with database.transaction(RegistryScope()) as session:
            tenant = (await session.scalars(select(Tenant).limit(1))).first()
            if tenant is None:
                tenant = Tenant(code="zz")
                session.add(tenant)
            else:
                tenant.currency = "XXX"


@pytest.mark.postgres_only
async def test_transactions_tell_postgres_their_tenant(database: Database) -> None:
    tenant = await create_tenant(database)
    async with database.transaction(scope_of(tenant)) as session:
        setting = await session.scalar(text("SELECT current_setting('asan.tenant_id', true)"))
    assert setting == str(tenant.id)


async def test_a_tenant_scope_cannot_touch_the_registry(database: Database) -> None:
    first, second = await create_tenant(database), await create_tenant(database)
    with pytest.raises(TenantScopeError, match="tenant-owned data only"):
        async with database.transaction(scope_of(first)) as session:
            await session.execute(select(Tenant))
    with pytest.raises(TenantScopeError, match="tenant-owned data only"):
        async with database.transaction(scope_of(first)) as session:
            await session.execute(update(Tenant).where(Tenant.id == second.id).values(status="x"))
    with pytest.raises(TenantScopeError, match="tenant-owned data only"):
        async with database.transaction(scope_of(first)) as session:
            await session.execute(delete(Tenant).where(Tenant.id == second.id))
    with pytest.raises(TenantScopeError, match="platform tables change only in a platform scope"):
        async with database.transaction(scope_of(first)) as session:
            session.add(Tenant(code="zz"))


async def test_an_update_that_moves_rows_is_refused_in_every_scope(database: Database) -> None:
    first, second = await create_tenant(database), await create_tenant(database)
    await add_events(database, first, 1)
    for scope in (scope_of(first), PlatformScope(reason="test")):
        with pytest.raises(TenantScopeError, match="assigns tenant_id"):
            async with database.transaction(scope) as session:
                await session.execute(update(AuditEvent).values(tenant_id=second.id))


async def test_a_bulk_insert_for_another_tenant_is_refused(database: Database) -> None:
    first, second = await create_tenant(database), await create_tenant(database)
    row = {"actor": "x", "action": "test.event", "detail": {}}
    with pytest.raises(TenantScopeError, match="INSERT for another tenant"):
        async with database.transaction(scope_of(first)) as session:
            await session.execute(insert(AuditEvent), [{**row, "tenant_id": second.id}])
    with pytest.raises(TenantScopeError, match="INSERT for another tenant"):
        async with database.transaction(scope_of(first)) as session:
            await session.execute(insert(AuditEvent).values(**row, tenant_id=second.id))
    async with database.transaction(scope_of(first)) as session:
        await session.execute(insert(AuditEvent), [{**row, "tenant_id": first.id}])
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 1


@pytest.mark.postgres_only
async def test_raw_sql_in_a_tenant_scope_cannot_change_the_registry(database: Database) -> None:
    first, second = (
        await create_tenant(database, hostnames=["a.example.org"]),
        await create_tenant(database),
    )
    async with database.transaction(scope_of(first)) as session:
        connection = await session.connection()
        moved = await connection.execute(
            text("UPDATE tenant_hostnames SET tenant_id = :to"), {"to": str(second.id)}
        )
        suspended = await connection.execute(
            text("UPDATE tenants SET status = 'suspended' WHERE id = :id"), {"id": str(second.id)}
        )
        removed = await connection.execute(
            text("DELETE FROM tenants WHERE id = :id"), {"id": str(second.id)}
        )
        assert (moved.rowcount, suspended.rowcount, removed.rowcount) == (0, 0, 0)
        # Reading the registry stays possible: it is what host resolution does.
        assert await connection.scalar(text("SELECT count(*) FROM tenants")) >= 2
