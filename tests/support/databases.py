"""Test databases: a SQLite file, or a fresh PostgreSQL database with a runtime role.

On PostgreSQL the migrations run as the server's owner account and the app
connects as ``asan_test_runtime``, a login role that owns nothing and has no
BYPASSRLS, exactly as in production; every database made here is dropped at
the end of the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from asan.config import Settings, load_settings

RUNTIME_ROLE = "asan_test_runtime"
REPO_ROOT = Path(__file__).resolve().parents[2]


def postgres_admin_url() -> str | None:
    """``ASAN_TEST_DATABASE_URL`` normalised to the asyncpg driver, or None when unset."""
    value = os.environ.get("ASAN_TEST_DATABASE_URL", "").strip()
    if not value:
        return None
    url = make_url(value)
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


@dataclass(frozen=True, slots=True)
class ScratchDatabase:
    backend: str
    owner_url: str
    runtime_url: str
    name: str

    def settings(self, var_dir: Path, **overrides: str) -> Settings:
        environ = {
            "ASAN_ENV": "dev",
            "ASAN_VAR_DIR": str(var_dir),
            "ASAN_SECRET_KEY": "test-secret-key-of-sufficient-length-0123456789",
            "ASAN_DATABASE_URL": self.runtime_url,
            "ASAN_MIGRATION_DATABASE_URL": self.owner_url,
            "ASAN_DB_RUNTIME_ROLE": RUNTIME_ROLE,
            "ASAN_TENANTS_DIR": str(REPO_ROOT / "tenants"),
            "ASAN_LOG_LEVEL": "WARNING",
            # Tests change tenants behind the app's back; tests of the cache set their own.
            "ASAN_TENANT_CACHE_SECONDS": "0",
            **overrides,
        }
        return load_settings(environ)


async def _create_postgres(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        exists = await connection.fetchval(
            "SELECT 1 FROM pg_roles WHERE rolname = $1", RUNTIME_ROLE
        )
        if not exists:
            # Another test run may make it at the same moment.
            with contextlib.suppress(asyncpg.DuplicateObjectError):
                await connection.execute(
                    f'CREATE ROLE "{RUNTIME_ROLE}" LOGIN NOSUPERUSER NOBYPASSRLS'
                )
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_postgres(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def create_database(backend: str, directory: Path) -> ScratchDatabase:
    """A new, empty database (not migrated)."""
    name = f"asan_test_{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / (name + '.db')}"
        return ScratchDatabase(backend, url, url, name)
    admin_url = postgres_admin_url()
    assert admin_url is not None, "PostgreSQL tests need ASAN_TEST_DATABASE_URL"
    asyncio.run(_create_postgres(admin_url, name))
    owner = make_url(admin_url).set(database=name)
    runtime = owner.set(username=RUNTIME_ROLE, password=None)
    return ScratchDatabase(
        backend,
        owner.render_as_string(hide_password=False),
        runtime.render_as_string(hide_password=False),
        name,
    )


def drop_database(database: ScratchDatabase) -> None:
    if database.backend == "postgresql":
        admin_url = postgres_admin_url()
        assert admin_url is not None
        asyncio.run(_drop_postgres(admin_url, database.name))


def check_postgres_reachable() -> str | None:
    """None when reachable, else why not (the suite then stops: no silent skip)."""
    admin_url = postgres_admin_url()
    if admin_url is None:
        return None

    async def probe() -> None:
        connection = await asyncpg.connect(_asyncpg_dsn(admin_url), timeout=10)
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"ASAN_TEST_DATABASE_URL is set but PostgreSQL cannot be reached: {exc}"
    return None
