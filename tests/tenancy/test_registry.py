"""Loading bundles into the registry: all or nothing, idempotent, audited."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from asan.audit import AuditEvent
from asan.db import Database, PlatformScope, TenantScope
from asan.errors import TenantNotFoundError
from asan.tenancy import (
    BundleError,
    LoadOutcome,
    Tenant,
    TenantRegistry,
    TenantStatus,
    read_bundle,
    read_bundles,
)
from asan.tenancy.bundle import bundle_directories
from tests.support.databases import REPO_ROOT
from tests.support.factories import create_tenant
from tests.tenancy.test_bundle import VALID, write_bundle


@pytest.fixture
def registry(database: Database) -> TenantRegistry:
    return TenantRegistry(database, base_domain="localhost")


async def audit_actions(database: Database, registry: TenantRegistry, code: str) -> list[str]:
    tenant = await registry.get(code)
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        events = await session.scalars(select(AuditEvent).order_by(AuditEvent.occurred_at))
        return [event.action for event in events]


async def test_demo_bundles_load_and_reload_changes_nothing(
    database: Database, registry: TenantRegistry
) -> None:
    bundles = read_bundles(bundle_directories(REPO_ROOT / "tenants"))
    first = await registry.load(bundles, actor="test")
    assert set(first.outcomes.values()) == {LoadOutcome.CREATED}
    az_before = await registry.get("az")

    second = await registry.load(bundles, actor="test")
    assert set(second.outcomes.values()) == {LoadOutcome.UNCHANGED}
    assert not second.changed
    az_after = await registry.get("az")
    assert az_after.updated_at == az_before.updated_at
    assert await audit_actions(database, registry, "az") == ["tenant.created"]
    assert (await registry.resolve_host("asan.gov.az")).code == "az"  # type: ignore[union-attr]


async def test_changed_bundle_updates_and_is_audited(
    database: Database, registry: TenantRegistry, tmp_path: Path
) -> None:
    await registry.load(
        [read_bundle(write_bundle(tmp_path / "1", "ma", hostnames='["a.example.ma"]'))],
        actor="test",
    )
    changed = VALID.format(code="ma", hostnames='["b.example.ma", "a.example.ma"]').replace(
        "Royaume du Maroc", "Le Royaume du Maroc"
    )
    report = await registry.load(
        [read_bundle(write_bundle(tmp_path / "2", "ma", changed))], actor="test"
    )
    assert report.outcomes == {"ma": LoadOutcome.UPDATED}
    tenant = await registry.get("ma")
    assert tenant.names["fr"] == "Le Royaume du Maroc"
    assert tenant.hostnames == ("a.example.ma", "b.example.ma")
    assert await audit_actions(database, registry, "ma") == ["tenant.created", "tenant.updated"]


async def test_a_hostname_of_another_tenant_refuses_the_whole_load(
    database: Database, registry: TenantRegistry, tmp_path: Path
) -> None:
    await create_tenant(database, "zo", hostnames=["taken.example.org"])
    good = write_bundle(tmp_path, "ma")
    bad = write_bundle(tmp_path, "mb", VALID.format(code="mb", hostnames='["taken.example.org"]'))
    with pytest.raises(BundleError, match="already belongs to tenant 'zo'"):
        await registry.load(read_bundles([good, bad]), actor="test")
    with pytest.raises(TenantNotFoundError):
        await registry.get("ma")


async def test_a_hostname_under_the_base_domain_is_refused(
    registry: TenantRegistry, tmp_path: Path
) -> None:
    bundle = read_bundle(write_bundle(tmp_path, "ma", hostnames='["ee.localhost"]'))
    with pytest.raises(BundleError, match="under the base domain"):
        await registry.load([bundle], actor="test")


async def test_suspend_and_resume_are_audited_and_idempotent(
    database: Database, registry: TenantRegistry
) -> None:
    await create_tenant(database, "zp")
    assert (
        await registry.set_status("zp", TenantStatus.SUSPENDED, actor="t")
    ).status == "suspended"
    await registry.set_status("zp", TenantStatus.SUSPENDED, actor="t")
    assert (await registry.set_status("zp", TenantStatus.ACTIVE, actor="t")).status == "active"
    assert await audit_actions(database, registry, "zp") == ["tenant.suspended", "tenant.resumed"]


async def test_unknown_code_is_a_clear_error(registry: TenantRegistry) -> None:
    with pytest.raises(TenantNotFoundError, match="no tenant with code 'nope'"):
        await registry.set_status("nope", TenantStatus.SUSPENDED, actor="t")


async def test_host_resolution_is_cached_and_cleared_by_the_registrys_own_changes(
    database: Database,
) -> None:
    registry = TenantRegistry(database, base_domain="localhost", cache_seconds=300)
    await create_tenant(database, "zc")
    assert (await registry.resolve_host("zc.localhost")).is_active  # type: ignore[union-attr]
    assert await registry.resolve_host("zd.localhost") is None

    # Changed behind the registry's back (another process): the cache still answers.
    async with database.transaction(PlatformScope(reason="test")) as session:
        row = (await session.scalars(select(Tenant).where(Tenant.code == "zc"))).one()
        row.status = TenantStatus.SUSPENDED.value
    await create_tenant(database, "zd")
    assert (await registry.resolve_host("zc.localhost")).is_active  # type: ignore[union-attr]
    assert await registry.resolve_host("zd.localhost") is None

    # A change through the registry is seen at once.
    await registry.set_status("zc", TenantStatus.SUSPENDED, actor="t")
    assert not (await registry.resolve_host("zc.localhost")).is_active  # type: ignore[union-attr]
    assert (await registry.resolve_host("zd.localhost")).code == "zd"  # type: ignore[union-attr]


async def test_without_a_cache_every_resolution_reads_the_registry(database: Database) -> None:
    registry = TenantRegistry(database, base_domain="localhost", cache_seconds=0)
    assert await registry.resolve_host("ze.localhost") is None
    await create_tenant(database, "ze")
    assert (await registry.resolve_host("ze.localhost")).code == "ze"  # type: ignore[union-attr]


async def test_a_lookup_overtaken_by_a_change_is_not_cached(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = TenantRegistry(database, base_domain="localhost", cache_seconds=300)
    await create_tenant(database, "zf")
    looking_up, changed = asyncio.Event(), asyncio.Event()
    real_lookup = registry._lookup_host

    async def slow_lookup(host: str):  # type: ignore[no-untyped-def]
        record = await real_lookup(host)
        looking_up.set()
        await changed.wait()
        return record

    monkeypatch.setattr(registry, "_lookup_host", slow_lookup)
    in_flight = asyncio.create_task(registry.resolve_host("zf.localhost"))
    await looking_up.wait()
    registry.forget_cached_hosts()  # what set_status or load do after their commit
    changed.set()
    assert (await in_flight).code == "zf"  # type: ignore[union-attr]
    assert "zf.localhost" not in registry._by_host
