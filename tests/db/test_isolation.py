"""Nothing crosses between tenants, for every tenant-owned model: through the
ORM on both databases, and on PostgreSQL through raw SQL as the runtime role."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from asan.db import Base, Database, TenantOwned, TenantScope
from asan.db._base import tenant_owned_tables
from asan.models import metadata
from asan.tenancy import Tenant
from tests.support.factories import TENANT_OWNED_FACTORIES, create_tenant

TENANT_OWNED_MODELS = sorted(
    (mapper.class_ for mapper in Base.registry.mappers if issubclass(mapper.class_, TenantOwned)),
    key=lambda model: model.__name__,
)


def scope_of(tenant: Tenant) -> TenantScope:
    return TenantScope(tenant.id, tenant.code)


def test_every_tenant_owned_model_has_a_factory() -> None:
    missing = [
        model.__name__ for model in TENANT_OWNED_MODELS if model not in TENANT_OWNED_FACTORIES
    ]
    assert not missing, f"add factories for {missing} in tests/support/factories.py"


def test_tenant_id_is_in_every_primary_key_and_unique_constraint() -> None:
    for name in tenant_owned_tables():
        table = metadata.tables[name]
        assert "tenant_id" in table.primary_key.columns, f"{name}: primary key lacks tenant_id"
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                assert "tenant_id" in constraint.columns, (
                    f"{name}: {constraint.name} lacks tenant_id"
                )
        for index in table.indexes:
            if index.unique:
                assert "tenant_id" in index.columns, f"{name}: {index.name} lacks tenant_id"


async def _two_tenants_with_rows(database: Database, model: type[Base]) -> tuple[Tenant, Tenant]:
    owner, intruder = await create_tenant(database), await create_tenant(database)
    for tenant in (owner, intruder):
        async with database.transaction(scope_of(tenant)) as session:
            session.add(TENANT_OWNED_FACTORIES[model].build())
    return owner, intruder


@pytest.mark.parametrize("model", TENANT_OWNED_MODELS, ids=lambda m: m.__name__)
async def test_orm_cannot_read_update_or_delete_another_tenants_rows(
    database: Database, model: type[Base]
) -> None:
    owner, intruder = await _two_tenants_with_rows(database, model)
    factory = TENANT_OWNED_FACTORIES[model]
    owned = model.tenant_id == owner.id  # type: ignore[attr-defined]

    async with database.transaction(scope_of(intruder)) as session:
        assert (await session.scalars(select(model).where(owned))).all() == []
        assert await session.scalar(select(func.count()).select_from(model).where(owned)) == 0
        updated = await session.execute(update(model).where(owned).values(**factory.mutation))
        deleted = await session.execute(delete(model).where(owned))
        assert updated.rowcount == 0  # type: ignore[attr-defined]
        assert deleted.rowcount == 0  # type: ignore[attr-defined]

    async with database.transaction(scope_of(owner)) as session:
        rows = (await session.scalars(select(model))).all()
    assert len(rows) == 1
    for column, value in factory.mutation.items():
        assert getattr(rows[0], column) != value


@pytest.mark.postgres_only
@pytest.mark.parametrize("table", tenant_owned_tables())
async def test_raw_sql_as_runtime_role_cannot_cross(database: Database, table: str) -> None:
    model = next(m for m in TENANT_OWNED_MODELS if m.__tablename__ == table)  # type: ignore[attr-defined]
    owner, intruder = await _two_tenants_with_rows(database, model)
    column, value = next(iter(TENANT_OWNED_FACTORIES[model].mutation.items()))
    owner_id = {"owner": str(owner.id)}

    async with database.transaction(scope_of(intruder)) as session:
        connection = await session.connection()
        assert (
            await connection.execute(text("SELECT current_user"))
        ).scalar() == "asan_test_runtime"
        visible = await connection.execute(
            text(f"SELECT count(*) FROM {table} WHERE tenant_id = :owner"), owner_id
        )
        assert visible.scalar() == 0
        everything = await connection.execute(text(f"SELECT DISTINCT tenant_id FROM {table}"))
        assert {str(row[0]) for row in everything} <= {str(intruder.id)}
        updated = await connection.execute(
            text(f"UPDATE {table} SET {column} = :value WHERE tenant_id = :owner"),
            {"value": value, **owner_id},
        )
        deleted = await connection.execute(
            text(f"DELETE FROM {table} WHERE tenant_id = :owner"), owner_id
        )
        assert updated.rowcount == 0
        assert deleted.rowcount == 0

    async with database.transaction(scope_of(owner)) as session:
        connection = await session.connection()
        count = await connection.execute(text(f"SELECT count(*) FROM {table}"))
        assert count.scalar() == 1


@pytest.mark.postgres_only
async def test_raw_sql_without_a_tenant_sees_nothing(database: Database) -> None:
    owner, _ = await _two_tenants_with_rows(database, TENANT_OWNED_MODELS[0])
    async with database.transaction(scope_of(owner)) as session:
        connection = await session.connection()
        await connection.execute(
            text(
                "SELECT set_config('asan.tenant_id', '', true), set_config('asan.scope', '', true)"
            )
        )
        for table in tenant_owned_tables():
            count = await connection.execute(text(f"SELECT count(*) FROM {table}"))
            assert count.scalar() == 0, f"{table} visible without a tenant"


@pytest.mark.postgres_only
async def test_raw_insert_for_another_tenant_is_rejected_by_postgres(database: Database) -> None:
    owner, intruder = await create_tenant(database), await create_tenant(database)
    with pytest.raises(DBAPIError, match="row-level security"):
        async with database.transaction(scope_of(intruder)) as session:
            connection = await session.connection()
            await connection.execute(
                text(
                    "INSERT INTO audit_events (tenant_id, id, occurred_at, actor, action, detail) "
                    "VALUES (:owner, gen_random_uuid(), now(), 'x', 'x', '{}')"
                ),
                {"owner": str(owner.id)},
            )
