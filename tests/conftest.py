"""Fixtures: every database test runs on SQLite and, when ASAN_TEST_DATABASE_URL
is set, on PostgreSQL; each test inside a transaction that is rolled back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from asan.api import create_app
from asan.config import Settings
from asan.db import Database, migrate
from asan.db._database import create_engine
from tests.support.databases import (
    ScratchDatabase,
    check_postgres_reachable,
    create_database,
    drop_database,
    postgres_admin_url,
)

BACKENDS = ["sqlite", "postgresql"] if postgres_admin_url() else ["sqlite"]


def pytest_sessionstart(session: pytest.Session) -> None:
    problem = check_postgres_reachable()
    if problem:
        pytest.exit(problem, returncode=3)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.postgres_only`` tests run on the PostgreSQL backend only (RLS, roles)."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec else None
        if item.get_closest_marker("postgres_only") and backend != "postgresql":
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_report_header() -> str:
    return f"asan database backends: {', '.join(BACKENDS)}"


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def migrated(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchDatabase]:
    """One migrated database per backend for the whole run."""
    directory = tmp_path_factory.mktemp(f"db-{backend}")
    database = create_database(backend, directory)
    migrate.upgrade(database.settings(directory))
    yield database
    drop_database(database)


@pytest.fixture(scope="session")
def settings(migrated: ScratchDatabase, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return migrated.settings(tmp_path_factory.mktemp("var"))


@pytest.fixture(scope="session")
async def runtime_engine(migrated: ScratchDatabase) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(migrated.runtime_url, pool_size=4)
    yield engine
    await engine.dispose()


@pytest.fixture
async def database(runtime_engine: AsyncEngine) -> AsyncIterator[Database]:
    """The app's database, inside a transaction that is rolled back after the test."""
    async with runtime_engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield Database(connection)
        finally:
            await transaction.rollback()


@pytest.fixture
def app(settings: Settings, database: Database) -> Litestar:
    return create_app(settings, database=database)


@pytest.fixture
async def client_for(app: Litestar) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """``client_for("az.localhost")``: an HTTP client whose requests carry that Host."""
    clients: list[httpx.AsyncClient] = []

    def make(host: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=f"http://{host}"
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def fresh_database(backend: str, tmp_path: Path) -> Iterator[ScratchDatabase]:
    """An empty database of its own, for tests that commit or migrate."""
    database = create_database(backend, tmp_path)
    yield database
    drop_database(database)
