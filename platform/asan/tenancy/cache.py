"""One value per tenant, kept by each process and read again at most every ``refresh_seconds``.

Several things are read far more often than they change and are kept this
way: the published catalogue (``asan.catalogue.published``), the tenants' own
wording (``asan.translations.runtime``) and the compiled role policy
(``asan.access.authorizer``). What they share is written once here: when a
kept value is still fresh, the read beside the request's own transaction, and
``forget`` (called once a change in this process commits) winning over a read
that started before it, so that the read cannot store what the change replaced.
What is read, and whether a cheap check (a revision) lets the kept value
stand, is the ``load`` function's.
"""

from __future__ import annotations

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

    def forget(self, tenant_id: uuid.UUID) -> None:
        self._generation[tenant_id] = self._generation.get(tenant_id, 0) + 1
        self._entries.pop(tenant_id, None)

    async def get(self, tenant: TenantRecord) -> V:
        entry = self._entries.get(tenant.id)
        now = time.monotonic()
        if entry is not None and now - entry.checked_at < self.refresh_seconds:
            return entry.value
        generation = self._generation.get(tenant.id, 0)
        with mostly_reading():  # a read beside the request's own transaction
            async with self.database.transaction(TenantScope(tenant.id, tenant.code)) as session:
                value = await self._load(session, tenant, None if entry is None else entry.value)
        if self._generation.get(tenant.id, 0) == generation:
            self._entries[tenant.id] = _Entry(value, now)
        return value
