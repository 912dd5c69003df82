"""The tenant registry service, shared by the API, the console and the CLI.

Reads go through the read-only registry scope; writes are cross-tenant work
and go through a named platform scope, each change recorded in the tenant's
own audit trail in the same transaction.

Host resolution runs on every request, so its answers (found or not) are
kept per process for ``cache_seconds``. A change made through this registry
clears that process's cache at once; other processes see it when their
entries expire, which bounds how long a suspended tenant may still be served.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from asan import audit
from asan.db import Database, PlatformScope, RegistryScope, mostly_reading
from asan.errors import TenantNotFoundError
from asan.i18n import N_
from asan.tenancy.bundle import BUNDLE_FILE, BundleError, BundleProblem, TenantBundle
from asan.tenancy.hosts import HostKind, classify_host
from asan.tenancy.models import Tenant, TenantHostname, TenantStatus
from asan.tenancy.records import TenantRecord

_MAX_CACHED_HOSTS = 10_000
"""Unknown hosts are cached too; past this many entries the cache starts afresh,
so that a flood of made-up Host headers cannot grow it without bound."""


class LoadOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(slots=True)
class LoadReport:
    outcomes: dict[str, LoadOutcome] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    """What ``with_each`` said it did, per tenant."""

    @property
    def changed(self) -> bool:
        return any(outcome != LoadOutcome.UNCHANGED for outcome in self.outcomes.values())


ProgressCallback = Callable[[str], None]
BundleHook = Callable[[AsyncSession, uuid.UUID, TenantBundle], Awaitable[str | None]]

_STATUS_ACTIONS = {
    TenantStatus.SUSPENDED: "tenant.suspended",
    TenantStatus.ACTIVE: "tenant.resumed",
}


def _apply(tenant: Tenant, bundle: TenantBundle) -> list[str]:
    """Copy the bundle onto the row; return the names of the fields that changed."""
    wanted = {
        "names": dict(bundle.names),
        "default_locale": bundle.default_locale,
        "locales": list(bundle.locales),
        "timezone": bundle.timezone,
        "currency": bundle.currency,
        "plugin_settings": dict(bundle.plugins),
        "bundle_digest": bundle.digest(),
    }
    changed = [name for name, value in wanted.items() if getattr(tenant, name, None) != value]
    for name in changed:
        setattr(tenant, name, wanted[name])
    wanted_hosts = set(bundle.hostnames)
    current_hosts = {host.hostname for host in tenant.hostnames}
    if current_hosts != wanted_hosts:
        # Keep the rows that stay: replacing them would delete and re-insert one primary key.
        kept = [host for host in tenant.hostnames if host.hostname in wanted_hosts]
        added = [TenantHostname(hostname=name) for name in sorted(wanted_hosts - current_hosts)]
        tenant.hostnames = kept + added
        changed.append("hostnames")
    return [name for name in changed if name != "bundle_digest"]


class TenantRegistry:
    def __init__(self, database: Database, *, base_domain: str, cache_seconds: float = 0) -> None:
        self.database = database
        self.base_domain = base_domain
        self.cache_seconds = cache_seconds
        self._by_host: dict[str, tuple[float, TenantRecord | None]] = {}
        self._generation = 0
        """Bumped by every change: a lookup that started before it must not be cached."""

    # --- reading -----------------------------------------------------------------

    async def resolve_host(self, host: str) -> TenantRecord | None:
        """The tenant served at ``host`` (``<code>.<base domain>`` or one of its own names)."""
        if self.cache_seconds > 0:
            cached = self._by_host.get(host)
            if cached is not None and cached[0] > time.monotonic():
                return cached[1]
        generation = self._generation
        record = await self._lookup_host(host)
        if self.cache_seconds > 0 and generation == self._generation:
            if len(self._by_host) >= _MAX_CACHED_HOSTS:
                self._by_host.clear()
            self._by_host[host] = (time.monotonic() + self.cache_seconds, record)
        return record

    async def _lookup_host(self, host: str) -> TenantRecord | None:
        kind, code = classify_host(host, self.base_domain)
        if kind is HostKind.PLATFORM:
            return None
        if kind is HostKind.TENANT_SUBDOMAIN:
            condition = Tenant.code == code
        else:
            condition = Tenant.id.in_(
                select(TenantHostname.tenant_id).where(TenantHostname.hostname == host)
            )
        with mostly_reading():
            async with self.database.transaction(RegistryScope()) as session:
                tenant = (await session.scalars(select(Tenant).where(condition))).one_or_none()
                return TenantRecord.of(tenant) if tenant is not None else None

    def forget_cached_hosts(self) -> None:
        self._generation += 1
        self._by_host.clear()

    async def list(self) -> list[TenantRecord]:
        async with self.database.transaction(RegistryScope()) as session:
            tenants = (await session.scalars(select(Tenant).order_by(Tenant.code))).all()
            return [TenantRecord.of(tenant) for tenant in tenants]

    async def get(self, code: str) -> TenantRecord:
        async with self.database.transaction(RegistryScope()) as session:
            query = select(Tenant).where(Tenant.code == code)
            tenant = (await session.scalars(query)).one_or_none()
            if tenant is None:
                raise TenantNotFoundError(
                    N_("no tenant with code {code!r}"), code=code, detail={"code": code}
                )
            return TenantRecord.of(tenant)

    # --- writing -----------------------------------------------------------------

    async def load(
        self,
        bundles: Sequence[TenantBundle],
        *,
        actor: str,
        progress: ProgressCallback | None = None,
        with_each: BundleHook | None = None,
    ) -> LoadReport:
        """Create or update tenants from bundles, all or nothing.

        Bundles are checked against the database (host names owned by other
        tenants, host names that shadow a tenant's sub-domain) before the first
        write; on any problem nothing is written. ``with_each`` loads the rest
        of each bundle (its catalogue, ...) in the same transaction: the
        registry does not know those parts, only that they commit with it.
        """
        self._check_hostnames_outside_base_domain(bundles)
        report = LoadReport()
        scope = PlatformScope(reason=f"load tenant bundles: {', '.join(b.code for b in bundles)}")
        async with self.database.transaction(scope) as session:
            await self._check_against_registry(session, bundles)
            existing = {
                tenant.code: tenant
                for tenant in (
                    await session.scalars(
                        select(Tenant).where(Tenant.code.in_([b.code for b in bundles]))
                    )
                ).all()
            }
            for bundle in bundles:
                tenant = existing.get(bundle.code)
                if tenant is None:
                    tenant = Tenant(
                        code=bundle.code, status=TenantStatus.ACTIVE.value, hostnames=[]
                    )
                    _apply(tenant, bundle)
                    session.add(tenant)
                    await session.flush()
                    outcome, changed = LoadOutcome.CREATED, ["all"]
                elif tenant.bundle_digest == bundle.digest():
                    outcome, changed = LoadOutcome.UNCHANGED, []
                else:
                    changed = _apply(tenant, bundle)
                    outcome = LoadOutcome.UPDATED
                if outcome is not LoadOutcome.UNCHANGED:
                    audit.record(
                        session,
                        tenant_id=tenant.id,
                        actor=actor,
                        action=f"tenant.{outcome.value}",
                        detail={"fields": changed, "digest": bundle.digest()},
                    )
                report.outcomes[bundle.code] = outcome
                note = await with_each(session, tenant.id, bundle) if with_each else None
                if note:
                    report.notes[bundle.code] = note
                if progress is not None:
                    progress(f"{bundle.code}: {outcome.value}" + (f", {note}" if note else ""))
        self.forget_cached_hosts()
        return report

    async def _check_against_registry(
        self, session: AsyncSession, bundles: Sequence[TenantBundle]
    ) -> None:
        problems: list[BundleProblem] = []
        codes = {bundle.code for bundle in bundles}
        wanted = {host: bundle for bundle in bundles for host in bundle.hostnames}
        rows = await session.execute(
            select(TenantHostname.hostname, Tenant.code)
            .join(Tenant, Tenant.id == TenantHostname.tenant_id)
            .where(or_(TenantHostname.hostname.in_(list(wanted)), Tenant.code.in_(codes)))
        )
        for hostname, owner in rows:
            bundle = wanted.get(hostname)
            if bundle is not None and owner != bundle.code and owner not in codes:
                problems.append(
                    BundleProblem(
                        bundle.directory / BUNDLE_FILE,
                        "hostnames",
                        f"{hostname!r} already belongs to tenant {owner!r}",
                    )
                )
        if problems:
            raise BundleError(problems)

    def _check_hostnames_outside_base_domain(self, bundles: Sequence[TenantBundle]) -> None:
        problems = [
            BundleProblem(
                bundle.directory / BUNDLE_FILE,
                "hostnames",
                f"{host!r} is under the base domain {self.base_domain!r}, "
                "where tenants are reached by their code",
            )
            for bundle in bundles
            for host in bundle.hostnames
            if classify_host(host, self.base_domain)[0] is not HostKind.OWN_HOSTNAME
        ]
        if problems:
            raise BundleError(problems)

    async def set_status(self, code: str, status: TenantStatus, *, actor: str) -> TenantRecord:
        scope = PlatformScope(reason=f"set tenant {code} {status.value}")
        async with self.database.transaction(scope) as session:
            tenant = (
                await session.scalars(select(Tenant).where(Tenant.code == code))
            ).one_or_none()
            if tenant is None:
                raise TenantNotFoundError(
                    N_("no tenant with code {code!r}"), code=code, detail={"code": code}
                )
            if tenant.status != status.value:
                previous = tenant.status
                tenant.status = status.value
                audit.record(
                    session,
                    tenant_id=tenant.id,
                    actor=actor,
                    action=_STATUS_ACTIONS[status],
                    detail={"from": previous, "to": status.value},
                )
            await session.flush()
            record = TenantRecord.of(tenant)
        self.forget_cached_hosts()
        return record
