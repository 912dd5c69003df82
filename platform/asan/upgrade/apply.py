"""Applying an upgrade: the schema for everyone, then each tenant on its own.

Migrations are expand-only within a release (``asan.db.migration_rules``), so
running them is safe while the previous release still serves. Then each
tenant is checked again against the migrated database and, if ready, its
upgrade is recorded (an audit event with the release: what ``plan`` shows
next time), in its own transaction. A tenant whose checks fail is reported and
left as it was; the others proceed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import asan
from asan import audit
from asan.config import Settings
from asan.db import Database, TenantScope, migrate
from asan.plugins import PluginCatalogue, discover
from asan.tenancy import TenantRegistry
from asan.upgrade.plan import UPGRADED, Plan, TenantCheck, check_tenant, make_plan


@dataclass(slots=True)
class ApplyReport:
    before: Plan
    migrated: list[str]
    upgraded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    """Already recorded at this release."""
    held: dict[str, list[str]] = field(default_factory=dict)
    """Tenants left as they were, with why."""

    @property
    def complete(self) -> bool:
        return not self.held


async def apply_upgrade(
    settings: Settings,
    database: Database,
    *,
    actor: str,
    catalogue: PluginCatalogue | None = None,
    progress: Callable[[str], None] | None = None,
) -> ApplyReport:
    catalogue = catalogue or discover()
    before = await make_plan(settings, database, catalogue=catalogue)
    await asyncio.to_thread(migrate.upgrade, settings)
    report = ApplyReport(before=before, migrated=[m.revision for m in before.migrations])
    registry = TenantRegistry(database, base_domain=settings.base_domain)
    for tenant in await registry.list():
        check: TenantCheck = await check_tenant(database, tenant, catalogue)
        if not check.ready:
            report.held[tenant.code] = check.problems
        elif check.recorded_release == asan.__version__:
            report.unchanged.append(tenant.code)
        else:
            async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
                audit.record(
                    session,
                    actor=actor,
                    action=UPGRADED,
                    detail={"release": asan.__version__, "from": check.recorded_release},
                )
            report.upgraded.append(tenant.code)
        if progress:
            progress(tenant.code)
    return report
