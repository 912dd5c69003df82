"""A tenant with a published service, staff, and an in-memory agency, for application tests."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import update

from asan.applications.delivery import DeliveryWorker
from asan.config import Settings
from asan.db import Database, PlatformScope, TenantScope
from asan.identity.models import StaffAccount
from asan.plugins import (
    AgencyStatus,
    FinalError,
    HealthReport,
    InstalledPlugin,
    Notification,
    PluginCatalogue,
    PluginConfig,
    PluginHost,
    PluginKind,
    PluginSpec,
    Receipt,
    RetryableError,
    Setting,
    StatusReport,
    Submission,
)
from asan.tenancy import Tenant, TenantRegistry
from tests.catalogue.support import catalogue_for, seed, service_entry
from tests.support.factories import create_tenant
from tests.support.staff import add_staff

SERVICE = "birth-certificate"
AGENCY = "civil-registry"


@dataclass
class MemoryAgency:
    """An agency's system in memory: records each idempotency key once."""

    by_key: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, AgencyStatus] = field(default_factory=dict)
    calls: int = 0
    failure: str | None = None
    """None, "retryable" or "final"."""

    def check(self) -> None:
        self.calls += 1
        if self.failure == "retryable":
            raise RetryableError("agency unavailable (503)")
        if self.failure == "final":
            raise FinalError("agency refused the application (422)")


AGENCIES: dict[str, MemoryAgency] = {}


class MemoryConnector:
    def __init__(self, config: PluginConfig) -> None:
        self.agency = AGENCIES.setdefault(str(config.settings["agency_id"]), MemoryAgency())

    async def submit(self, submission: Submission) -> Receipt:
        self.agency.check()
        reference = self.agency.by_key.setdefault(
            submission.idempotency_key, f"MEM-{len(self.agency.by_key) + 1}"
        )
        self.agency.statuses.setdefault(reference, AgencyStatus.RECEIVED)
        return Receipt(reference, transport_id=f"t-{uuid.uuid4().hex[:6]}")

    async def status(self, agency_reference: str) -> StatusReport:
        self.agency.check()
        if agency_reference not in self.agency.statuses:
            raise FinalError("unknown reference")
        status = self.agency.statuses[agency_reference]
        return StatusReport(agency_reference, status, status.value.upper())

    async def cancel(self, agency_reference: str, reason: str) -> StatusReport:
        self.agency.check()
        self.agency.statuses[agency_reference] = AgencyStatus.CANCELLED
        return StatusReport(agency_reference, AgencyStatus.CANCELLED, "CANCELLED")

    async def health(self) -> HealthReport:
        return HealthReport(self.agency.failure is None, "memory agency")

    async def aclose(self) -> None:
        return None


MEMORY_PLUGIN = PluginSpec(
    name="memory_agency",
    kind=PluginKind.CONNECTOR,
    summary="in-memory agency for tests",
    factory=MemoryConnector,
    settings=(Setting("agency_id", "text", "which in-memory agency", required=True),),
)


SENT: list[Notification] = []


class MemoryNotifier:
    def __init__(self, config: PluginConfig) -> None:
        self.config = config

    async def send(self, notification: Notification) -> None:
        SENT.append(notification)


MEMORY_NOTIFIER = PluginSpec(
    name="memory_notifier",
    kind=PluginKind.NOTIFIER,
    summary="keeps notifications in a list, for tests",
    factory=MemoryNotifier,
    channels=("email",),
)


def test_catalogue() -> PluginCatalogue:
    return PluginCatalogue(
        installed={
            "memory_agency": InstalledPlugin(MEMORY_PLUGIN, "tests", "0"),
            "memory_notifier": InstalledPlugin(MEMORY_NOTIFIER, "tests", "0"),
        }
    )


def host(tmp: Path | None = None) -> PluginHost:
    return PluginHost(test_catalogue(), secrets_dir=tmp or Path("/nonexistent"), environ={})


def memory_settings(agency_id: str) -> dict[str, Any]:
    return {
        "connectors": {"*": {"plugin": "memory_agency", "agency_id": agency_id}},
        "notifier": {"plugin": "memory_notifier"},
    }


async def set_plugins(database: Database, tenant: Tenant, raw: Mapping[str, Any]) -> None:
    from asan.tenancy import Tenant as TenantModel

    async with database.transaction(PlatformScope(reason="test plugins")) as session:
        await session.execute(
            update(TenantModel).where(TenantModel.id == tenant.id).values(plugin_settings=raw)
        )


@dataclass
class World:
    tenant: Tenant
    agency: MemoryAgency


async def published_tenant(database: Database, code: str | None = None, **service: Any) -> Tenant:
    """A tenant (en, fr) with one published online service of the ``civil-registry``."""
    tenant = await create_tenant(database, code)
    await seed(database, tenant)
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        catalogue = catalogue_for(tenant, session)
        await catalogue.create_service(service_entry(**service))
        await catalogue.publish(SERVICE)
    return tenant


async def webhook_tenant(
    database: Database, base_url: str, secret_variable: str, code: str | None = None
) -> Tenant:
    """A published tenant whose agencies are reached by ``rest_webhook`` at ``base_url``."""
    tenant = await published_tenant(database, code)
    connector = {
        "plugin": "rest_webhook",
        "base_url": base_url,
        "shared_secret": f"env:{secret_variable}",
        "timeout_seconds": 2,
    }
    await set_plugins(database, tenant, {"connectors": {"*": connector}})
    return tenant


async def make_world(database: Database, *, code: str | None = None, **service: Any) -> World:
    """A published tenant with staff for every role and an in-memory agency behind all
    its agencies."""
    tenant = await published_tenant(database, code, **service)
    agency_id = uuid.uuid4().hex
    await set_plugins(database, tenant, memory_settings(agency_id))
    for role in ("operator", "agency_officer", "auditor", "tenant_admin"):
        await add_staff(database, tenant, f"{role}@{tenant.code}", role)
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        await session.execute(
            update(StaffAccount)
            .where(StaffAccount.username == f"agency_officer@{tenant.code}")
            .values(agency=AGENCY)
        )
    return World(tenant, AGENCIES.setdefault(agency_id, MemoryAgency()))


def body(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "service": SERVICE,
        "channel": "online",
        "applicant": {
            "name": "Leyla Məmmədova",
            "national_id": "5ZK7PQ2",
            "email": "leyla@example.org",
        },
        "form": {"full_name": "Leyla Məmmədova", "delivery": "pickup"},
    }
    value.update(copy.deepcopy(changes))
    return value


def worker(
    database: Database, settings: Settings, plugin_host: PluginHost | None = None, **options: Any
) -> DeliveryWorker:
    return DeliveryWorker(
        database,
        settings,
        host=plugin_host or host(),
        registry=TenantRegistry(database, base_domain=settings.base_domain),
        concurrency=1,
        **options,
    )
