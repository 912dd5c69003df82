"""Saving a policy from the revision it was read at: a change made meanwhile is never lost."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from asan.access import staff_admin
from asan.access.authorizer import Authorizer
from asan.access.staff_admin import StaffAdministration
from asan.access.store import (
    PolicyChangedMeanwhileError,
    change_policy,
    policy_revision,
    save_policy,
    stored_policy_text,
)
from asan.audit import AuditEvent
from asan.authz import read_policy
from asan.db import Database, TenantScope, bump_counter
from asan.identity.models import StaffAccount
from asan.identity.policy_models import PolicyRevision
from asan.tenancy import Tenant
from tests.support.factories import create_tenant
from tests.support.staff import PASSWORD, add_staff


async def _stored(database: Database, tenant: Tenant) -> tuple[int, str, int]:
    """The revision, the policy text and how many policy changes the audit trail holds."""
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        changes = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "policy.changed")
        )
        return (
            await policy_revision(session, tenant.id),
            await stored_policy_text(session, tenant.id) or "",
            int(changes or 0),
        )


@pytest.fixture
async def tenant(database: Database) -> Tenant:
    made = await create_tenant(database)
    await add_staff(database, made, f"admin@{made.code}", "tenant_admin")
    await add_staff(database, made, f"desk@{made.code}", "operator")
    return made


async def test_a_save_from_a_stale_revision_is_refused_and_writes_nothing(
    database: Database, tenant: Tenant
) -> None:
    before = await _stored(database, tenant)
    revision, text, _ = before
    policy = read_policy(
        text + f"g, desk@{tenant.code}, auditor, {tenant.code}\n", source="t", domain=tenant.code
    )
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        for stale in (revision - 1, revision + 1, 0, -1):
            with pytest.raises(PolicyChangedMeanwhileError):
                await save_policy(
                    session, tenant.id, policy, actor="t", reason="t", expected_revision=stale
                )
        # the transaction goes on and commits: the refused saves must have left nothing
    assert await _stored(database, tenant) == before

    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        await save_policy(
            session, tenant.id, policy, actor="t", reason="t", expected_revision=revision
        )
    assert (await _stored(database, tenant))[0] == revision + 1


async def test_a_new_tenant_saves_from_revision_zero_once(database: Database) -> None:
    tenant = await create_tenant(database)
    policy = read_policy("", source="t", domain=tenant.code)
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        await save_policy(session, tenant.id, policy, actor="t", reason="t", expected_revision=0)
        with pytest.raises(PolicyChangedMeanwhileError):
            await save_policy(
                session, tenant.id, policy, actor="t", reason="t", expected_revision=0
            )
        assert await policy_revision(session, tenant.id) == 1


async def test_two_changes_from_the_same_revision_cannot_both_be_saved(
    database: Database, tenant: Tenant
) -> None:
    revision, text, _ = await _stored(database, tenant)
    authorizer = Authorizer(database, refresh_seconds=0)
    first = text + f"g, desk@{tenant.code}, auditor, {tenant.code}\n"
    second = text + f"g, desk@{tenant.code}, catalogue_editor, {tenant.code}\n"
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        await change_policy(
            session,
            tenant,
            first,
            authorizer=authorizer,
            actor="t",
            reason="t",
            source="t",
            expected_revision=revision,
        )
    with pytest.raises(PolicyChangedMeanwhileError):
        async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
            await change_policy(
                session,
                tenant,
                second,
                authorizer=authorizer,
                actor="t",
                reason="t",
                source="t",
                expected_revision=revision,
            )
    assert (await _stored(database, tenant))[:2] == (revision + 1, first)


@pytest.fixture
def someone_saves_after_the_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another admin's change commits right after ``StaffAdministration`` read the policy."""

    async def read_then_changed(session: AsyncSession, tenant_id: uuid.UUID) -> str | None:
        text = await stored_policy_text(session, tenant_id)
        await bump_counter(session, PolicyRevision, tenant_id)
        return text

    monkeypatch.setattr(staff_admin, "stored_policy_text", read_then_changed)


@pytest.mark.usefixtures("someone_saves_after_the_read")
async def test_staff_changes_made_from_a_policy_changed_meanwhile_are_refused(
    database: Database, tenant: Tenant
) -> None:
    _, text, changes = await _stored(database, tenant)
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        admin = StaffAdministration(session, tenant, actor="t")
        with pytest.raises(PolicyChangedMeanwhileError):
            await admin.change_roles(f"desk@{tenant.code}", ["auditor"])
        with pytest.raises(PolicyChangedMeanwhileError):
            await admin.add(f"new@{tenant.code}", PASSWORD, ["auditor"])
        assert (
            await session.scalar(
                select(StaffAccount.id).where(StaffAccount.username == f"new@{tenant.code}")
            )
            is None
        )
    _, after, changes_after = await _stored(database, tenant)
    assert (after, changes_after) == (text, changes)
