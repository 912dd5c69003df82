"""The migrations: reversible, in step with the models, one head, and RLS on
every tenant-owned table."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from asan.db import migrate
from asan.db._base import tenant_owned_tables
from asan.db.rls import (
    PLATFORM_ONLY_POLICY,
    POLICY_NAME,
    REGISTRY_READ_POLICY,
    REGISTRY_WRITE_POLICY,
)
from asan.models import metadata
from tests.support.databases import RUNTIME_ROLE, ScratchDatabase


def _run_sync(url: str, work):  # type: ignore[no-untyped-def]
    async def run():  # type: ignore[no-untyped-def]
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def test_there_is_a_single_head(settings) -> None:  # type: ignore[no-untyped-def]
    assert len(migrate.head_revisions(settings)) == 1


def test_upgrade_downgrade_upgrade(fresh_database: ScratchDatabase, tmp_path: Path) -> None:
    settings = fresh_database.settings(tmp_path)
    migrate.upgrade(settings)
    assert _run_sync(fresh_database.owner_url, _tables) == set(metadata.tables)
    migrate.downgrade(settings, "base")
    assert _run_sync(fresh_database.owner_url, _tables) == set()
    migrate.upgrade(settings)
    assert _run_sync(fresh_database.owner_url, _tables) == set(metadata.tables)
    assert _run_sync(fresh_database.owner_url, migrate.current_revisions) == migrate.head_revisions(
        settings
    )


def test_models_match_the_migrations(migrated: ScratchDatabase) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    assert _run_sync(migrated.owner_url, differences) == []


REGISTRY_TABLES = {"tenants", "tenant_hostnames"}
"""Platform-owned tables: readable by all, written in the platform scope only."""
PLATFORM_ONLY_TABLES = {"platform_operators"}
"""Platform-owned secrets: neither read nor written outside the platform scope."""


def test_every_table_with_a_tenant_id_is_tenant_owned_or_registry() -> None:
    with_tenant_id = {name for name, table in metadata.tables.items() if "tenant_id" in table.c}
    unexplained = with_tenant_id - set(tenant_owned_tables()) - REGISTRY_TABLES
    assert not unexplained, f"tables with tenant_id outside both walls: {unexplained}"


@pytest.mark.postgres_only
def test_every_table_has_forced_rls_and_its_policies(migrated: ScratchDatabase) -> None:
    def rls_state(connection: Connection) -> dict[str, tuple[bool, bool, set[str]]]:
        rows = connection.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                "ARRAY(SELECT p.policyname FROM pg_policies p WHERE p.tablename = c.relname) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r'"
            )
        )
        return {row[0]: (row[1], row[2], set(row[3])) for row in rows}

    state = _run_sync(migrated.owner_url, rls_state)
    tables = tenant_owned_tables()
    assert tables, "no tenant-owned tables found: is asan.models complete?"
    for table in tables:
        assert state.get(table) == (True, True, {POLICY_NAME}), f"{table}: {state.get(table)}"
    for table in REGISTRY_TABLES:
        assert state.get(table) == (True, True, {REGISTRY_READ_POLICY, REGISTRY_WRITE_POLICY}), (
            f"{table}: {state.get(table)}"
        )
    for table in PLATFORM_ONLY_TABLES:
        assert state.get(table) == (True, True, {PLATFORM_ONLY_POLICY}), (
            f"{table}: {state.get(table)}"
        )
    accounted = {*tables, *REGISTRY_TABLES, *PLATFORM_ONLY_TABLES, "alembic_version"}
    assert set(state) == accounted, "a table is unaccounted for"


@pytest.mark.postgres_only
def test_runtime_role_neither_owns_nor_bypasses(migrated: ScratchDatabase) -> None:
    def role_facts(connection: Connection) -> tuple[bool, bool, list[str]]:
        row = connection.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"),
            {"role": RUNTIME_ROLE},
        ).one()
        owned = (
            connection.execute(
                text("SELECT tablename FROM pg_tables WHERE tableowner = :role"),
                {"role": RUNTIME_ROLE},
            )
            .scalars()
            .all()
        )
        return row[0], row[1], list(owned)

    superuser, bypass, owned = _run_sync(migrated.owner_url, role_facts)
    assert (superuser, bypass, owned) == (False, False, [])
