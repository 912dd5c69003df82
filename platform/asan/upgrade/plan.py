"""The upgrade plan: schema revisions to run, and whether each tenant is ready for the code.

The plan runs the code being installed against the database as it is, before
any migration: each tenant's stored catalogue, policy and plugin settings are
checked with the new release's validators, and each plugin the tenant uses
must be installed in a version compatible with this platform. Nothing is
written. A check that cannot run on the old schema is reported as such rather
than guessed.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

import asan
from asan.access.store import stored_policy_text
from asan.audit.models import AuditEvent
from asan.authz import PolicyError, platform_templates, read_policy
from asan.catalogue.bundle import CatalogueError, TenantLanguages, dump_catalogue, read_catalogue
from asan.catalogue.service import CatalogueService
from asan.config import Settings
from asan.db import Database, TenantScope
from asan.db.migrate import current_revisions, script_directory
from asan.plugins import (
    PLUGIN_API_VERSION,
    PluginCatalogue,
    discover,
    named_plugins,
    read_tenant_plugins,
)
from asan.tenancy import TenantRecord, TenantRegistry

UPGRADED = "tenant.upgraded"
"""The audit action that records the release a tenant was last upgraded to."""
PLATFORM_DISTRIBUTION = "asan-platform"


@dataclass(frozen=True, slots=True)
class Migration:
    revision: str
    release: str
    message: str


@dataclass(slots=True)
class TenantCheck:
    code: str
    status: str
    recorded_release: str | None
    """The release its last ``asan upgrade apply`` recorded (None: never upgraded)."""
    problems: list[str] = field(default_factory=list)
    plugins: dict[str, str] = field(default_factory=dict)
    """Plugin name -> installed version (or what is wrong with it)."""

    @property
    def ready(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "tenant": self.code,
            "status": self.status,
            "recorded_release": self.recorded_release,
            "ready": self.ready,
            "problems": self.problems,
            "plugins": self.plugins,
        }


@dataclass(slots=True)
class Plan:
    release: str
    current: tuple[str, ...]
    target: tuple[str, ...]
    migrations: list[Migration]
    tenants: list[TenantCheck]

    @property
    def ready(self) -> bool:
        return all(tenant.ready for tenant in self.tenants)

    def as_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "schema": {"current": list(self.current), "target": list(self.target)},
            "migrations": [dataclasses.asdict(m) for m in self.migrations],
            "tenants": [t.as_json() for t in self.tenants],
            "ready": self.ready,
        }


def pending_migrations(settings: Settings, current: tuple[str, ...]) -> list[Migration]:
    """Revisions between ``current`` and the head, oldest first."""
    scripts = script_directory(settings)
    pending: list[Migration] = []
    for script in scripts.iterate_revisions("heads", current[0] if current else "base"):
        if script.revision in current:
            continue
        module = script.module
        pending.append(
            Migration(
                revision=script.revision,
                release=str(getattr(module, "RELEASE", "?")),
                message=(script.doc or "").strip().splitlines()[0] if script.doc else "",
            )
        )
    return list(reversed(pending))


def _plugin_compatibility(name: str, catalogue: PluginCatalogue) -> tuple[str, str | None]:
    """(what to show, problem or None) for one plugin a tenant uses.

    A plugin that is missing or broken is shown as such; the tenant's settings
    check already names it as a problem.
    """
    if name in catalogue.broken:
        return "broken", None
    installed = catalogue.installed.get(name)
    if installed is None:
        return "missing", None
    if installed.spec.api_version != PLUGIN_API_VERSION:
        return installed.version, f"plugin {name} needs plugin API {installed.spec.api_version}"
    try:
        requires = importlib.metadata.requires(installed.distribution) or []
    except importlib.metadata.PackageNotFoundError:
        requires = []
    for line in requires:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if (
            requirement.name == PLATFORM_DISTRIBUTION
            and requirement.specifier
            and (Version(asan.__version__) not in requirement.specifier)
        ):
            return installed.version, (
                f"plugin {name} {installed.version} requires {requirement}, "
                f"this platform is {asan.__version__}"
            )
    return installed.version, None


async def check_tenant(
    database: Database, tenant: TenantRecord, catalogue: PluginCatalogue
) -> TenantCheck:
    check = TenantCheck(tenant.code, tenant.status, recorded_release=None)
    _, problems = read_tenant_plugins(tenant.plugin_settings, catalogue, tenant=tenant.code)
    check.problems += [f"plugin settings: {problem}" for problem in problems]
    for name in sorted(named_plugins(tenant.plugin_settings)):
        shown, problem = _plugin_compatibility(name, catalogue)
        check.plugins[name] = shown
        if problem:
            check.problems.append(problem)
    try:
        async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
            check.recorded_release = await session.scalar(
                select(AuditEvent.detail["release"].as_string())
                .where(AuditEvent.action == UPGRADED)
                .order_by(AuditEvent.occurred_at.desc())
                .limit(1)
            )
            languages = TenantLanguages(tenant.locales, tenant.currency)
            exported = await CatalogueService(
                session, tenant_id=tenant.id, languages=languages, actor="upgrade plan"
            ).export_catalogue()
            try:
                read_catalogue(
                    dump_catalogue(exported), source=f"{tenant.code}:catalogue", languages=languages
                )
            except CatalogueError as exc:
                check.problems += [f"catalogue: {problem}" for problem in exc.problems]
            text = await stored_policy_text(session, tenant.id)
            if text is not None:
                try:
                    read_policy(
                        text,
                        source=f"{tenant.code}:policy",
                        domain=tenant.code,
                        templates=platform_templates(),
                    )
                except PolicyError as exc:
                    check.problems += [f"policy: {problem}" for problem in exc.problems]
    except SQLAlchemyError as exc:
        check.problems.append(
            f"cannot be checked on the current schema ({type(exc).__name__}); "
            "run the plan again after the migrations"
        )
    return check


async def make_plan(
    settings: Settings, database: Database, *, catalogue: PluginCatalogue | None = None
) -> Plan:
    catalogue = catalogue or discover()
    async with database.system_connection() as connection:
        current = await connection.run_sync(current_revisions)
    target = tuple(script_directory(settings).get_heads())
    registry = TenantRegistry(database, base_domain=settings.base_domain)
    tenants = [await check_tenant(database, t, catalogue) for t in await registry.list()]
    return Plan(
        release=asan.__version__,
        current=tuple(current),
        target=target,
        migrations=pending_migrations(settings, tuple(current)),
        tenants=tenants,
    )
