"""One value per tenant, kept by each process and read again at most every ``refresh_seconds``.

Several things are read far more often than they change and are kept this
way: the published catalogue (``asan.catalogue.published``), the tenants' own
wording (``asan.translations.runtime``) and the compiled role policy
(``asan.access.authorizer``). What they share is written once here: when a
kept value is still fresh, the read beside the request's own transaction, and
``forget`` (called once a change in this process commits) winning over a read
that started before it, so that the read cannot store what the change replaced,
and one read at a time per tenant (the requests that find the value stale while
it runs await its answer, or its error; a failed read stores nothing).
What is read, and whether a cheap check (a revision) lets the kept value
stand, is the ``load`` function's.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from asan.db import Database, TenantScope, mostly_reading
from asan.tenancy.records import TenantRecord

V = TypeVar("V")

TenantLoader = Callable[[AsyncSession, TenantRecord, V | None], Awaitable[V]]
"""``load(session, tenant, kept)``: the tenant's value, read in ``session``.

``kept`` is the value this process has (None when it has none); a loader may
return it unchanged when a cheap check shows it is still current.
"""


@dataclass(slots=True)
class _Entry(Generic[V]):
    value: V
    checked_at: float


class TenantCache(Generic[V]):
    def __init__(
        self, database: Database, *, refresh_seconds: float, load: TenantLoader[V]
    ) -> None:
        self.database = database
        self.refresh_seconds = refresh_seconds
        self._load = load
        self._entries: dict[uuid.UUID, _Entry[V]] = {}
        self._generation: dict[uuid.UUID, int] = {}
        """Bumped by ``forget``: a read that started before it must not be stored."""
        self._loading: dict[uuid.UUID, asyncio.Future[V]] = {}
        """The read under way per tenant: requests that find the value stale meanwhile await it."""

    def forget(self, tenant_id: uuid.UUID) -> None:
        self._generation[tenant_id] = self._generation.get(tenant_id, 0) + 1
        self._entries.pop(tenant_id, None)
        self._loading.pop(
            tenant_id, None
        )  # a read begun before the change: later requests read anew

    async def get(self, tenant: TenantRecord) -> V:
        """The tenant's value; when it is stale, one read however many requests ask meanwhile."""
        while True:
            entry = self._entries.get(tenant.id)
            if entry is not None and time.monotonic() - entry.checked_at < self.refresh_seconds:
                return entry.value
            loading = self._loading.get(tenant.id)
            if loading is None:
                return await self._read(tenant, entry)
            try:
                # Shielded: this request going away must not cancel the read others await.
                return await asyncio.shield(loading)
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if not loading.cancelled() or (current is not None and current.cancelling()):
                    raise
                # The request that was reading went away before it finished: read it here.

    async def _read(self, tenant: TenantRecord, entry: _Entry[V] | None) -> V:
        """Read the value, store it unless ``forget`` ran meanwhile, and hand it to the waiters."""
        loading: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._loading[tenant.id] = loading
        try:
            generation = self._generation.get(tenant.id, 0)
            now = time.monotonic()
            with mostly_reading():  # a read beside the request's own transaction
                async with self.database.transaction(
                    TenantScope(tenant.id, tenant.code)
                ) as session:
                    value = await self._load(
                        session, tenant, None if entry is None else entry.value
                    )
            if self._generation.get(tenant.id, 0) == generation:
                self._entries[tenant.id] = _Entry(value, now)
        except Exception as exc:
            loading.set_exception(exc)
            loading.exception()  # the waiters raise it; with none, it is not "never retrieved"
            raise
        except BaseException:  # cancelled: a waiter reads it instead
            loading.cancel()
            raise
        else:
            loading.set_result(value)
            return value
        finally:
            if self._loading.get(tenant.id) is loading:
                del self._loading[tenant.id]
