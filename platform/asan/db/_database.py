"""Engine and session factory: the one place sessions are made.

Every session is bound to a scope when it is made (see ``_scope``); the
listeners in ``_guards`` then enforce it. Work that should commit together
goes through :meth:`Database.transaction`; API requests get their session from
``asan.api.transactions``, which commits on success and rolls back otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any

import structlog
from sqlalchemy import event, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from asan.db._guards import SCOPE_KEY, ScopedSession
from asan.db._scope import PlatformScope, Scope, current_scope
from asan.errors import TenantScopeError

PLATFORM_SCOPE_LOGGER = __name__
log = structlog.get_logger(PLATFORM_SCOPE_LOGGER)


_AFTER_COMMIT = "asan.after_commit"


def on_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's transaction has committed (never on rollback).

    For effects outside the database that must not run ahead of the data,
    such as dropping a cached copy another request could otherwise refill
    from the old rows.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@event.listens_for(ScopedSession, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


@event.listens_for(ScopedSession, "after_rollback")
def _forget_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


async def bump_counter(
    session: AsyncSession, model: Any, tenant_id: Any, *, expected: int | None = None
) -> int | None:
    """``revision += 1`` for the tenant's row of ``model``, atomically (made at 1 if missing).

    Returns the new revision. Read-modify-write in Python would let two
    concurrent changes write the same number, and a process that saw it
    between them would never reload.

    Given ``expected`` (0: no row yet), the counter moves only from exactly
    ``expected`` to ``expected + 1``; standing anywhere else, nothing is
    written and None is returned. The check and the move are one statement,
    so of two changes started from the same revision only the first passes
    (the second waits for its row lock, then finds the counter moved).
    """
    statement: Any
    if expected is None or expected == 0:
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(model).values(tenant_id=tenant_id, revision=1)
        if expected is None:
            statement = statement.on_conflict_do_update(
                index_elements=[model.tenant_id], set_={"revision": model.revision + 1}
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=[model.tenant_id])
    else:
        statement = (
            update(model)
            .where(model.tenant_id == tenant_id, model.revision == expected)
            .values(revision=expected + 1)
        )
    revision: int | None = await session.scalar(statement.returning(model.revision))
    return revision


_reading: ContextVar[bool] = ContextVar("asan_sqlite_reading", default=False)


@contextmanager
def mostly_reading() -> Iterator[None]:
    """Transactions begun inside mostly read (SQLite: ``BEGIN`` instead of ``BEGIN IMMEDIATE``).

    SQLite lets one connection write at a time. A transaction that reads and
    then writes must upgrade its lock, and SQLite refuses the upgrade at once
    ("database is locked", busy_timeout does not help) when another connection
    wrote since the read began; our writes check before they write, so by
    default transactions take the write lock when they begin and queue behind
    each other. Reads (GET requests, host resolution) begin deferred so they
    never wait on writers nor hold writers up (WAL). PostgreSQL ignores this.
    """
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def _make_sqlite_transactional(engine: AsyncEngine) -> None:
    """Let SQLite honour BEGIN/SAVEPOINT the way PostgreSQL does.

    The stdlib driver opens transactions lazily and its own way, which breaks
    savepoints (used by tests to roll every test back) and deferred checks.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN" if _reading.get() else "BEGIN IMMEDIATE")


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    options: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
    if url.startswith("postgresql"):
        options.update(pool_size=pool_size, max_overflow=pool_size)
    engine = create_async_engine(url, **options)
    if engine.dialect.name == "sqlite":
        _make_sqlite_transactional(engine)
    return engine


class Database:
    """Owns the engine; hands out sessions bound to a scope."""

    def __init__(self, bind: AsyncEngine | AsyncConnection) -> None:
        self.bind = bind
        extra: dict[str, Any] = {}
        if isinstance(bind, AsyncConnection):
            # Tests hand in a connection inside a transaction they roll back:
            # commits inside the app then only release savepoints.
            extra["join_transaction_mode"] = "create_savepoint"
        self._sessions = async_sessionmaker(
            bind=bind,
            class_=AsyncSession,
            sync_session_class=ScopedSession,
            expire_on_commit=False,
            # A closed session cannot silently start a new transaction (and hold a
            # pooled connection) if something uses it after its request ended.
            close_resets_only=False,
            **extra,
        )

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 10, echo: bool = False) -> Database:
        return cls(create_engine(url, pool_size=pool_size, echo=echo))

    @property
    def dialect_name(self) -> str:
        return self.bind.dialect.name

    def session(self, scope: Scope | None = None) -> AsyncSession:
        """A new session for ``scope``, or for the current scope when none is given."""
        scope = scope if scope is not None else current_scope()
        if scope is None:
            raise TenantScopeError("no tenant in context: refusing to open a database session")
        if isinstance(scope, PlatformScope):
            (log.debug if scope.routine else log.info)("platform scope opened", reason=scope.reason)
        return self._sessions(info={SCOPE_KEY: scope})

    @asynccontextmanager
    async def transaction(self, scope: Scope | None = None) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits if the block finishes, rolls back if it raises."""
        session = self.session(scope)
        try:
            async with session.begin():
                yield session
        finally:
            await session.close()

    @asynccontextmanager
    async def system_connection(self) -> AsyncIterator[AsyncConnection]:
        """A raw connection for system checks (probes, role checks), outside any scope.

        No tenant setting is made on it, so on PostgreSQL row-level security
        shows it no tenant row at all; it is for catalog and health queries.
        """
        if isinstance(self.bind, AsyncConnection):
            yield self.bind
        else:
            async with self.bind.connect() as connection:
                yield connection

    async def dispose(self) -> None:
        if isinstance(self.bind, AsyncEngine):
            await self.bind.dispose()
