"""Demo staff: one account per role on each demo tenant, for trying the platform (dev only).

Usernames follow ``<role>@<tenant code>``; the password comes from
``ASAN_DEMO_PASSWORD``. Accounts and their ``g`` lines are added only where
missing, so running ``asan demo`` again changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from asan.access.staff_rules import AGENCY_ROLE, tenant_template_roles
from asan.access.store import save_policy, stored_policy_text
from asan.authz import platform_templates, read_policy
from asan.catalogue.models import ServiceVersion, VersionState
from asan.db import Database, TenantScope
from asan.identity.models import StaffAccount
from asan.identity.service import IdentityService
from asan.identity.sessions import MemorySessionStore
from asan.tenancy import TenantRecord


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    role: str
    tenant: str
    created: bool


async def _busiest_agency(session: AsyncSession) -> str | None:
    contents = await session.scalars(
        select(ServiceVersion.content).where(ServiceVersion.state == VersionState.PUBLISHED)
    )
    counts = Counter(str(content["agency"]) for content in contents)
    return min(counts, key=lambda code: (-counts[code], code)) if counts else None


async def ensure_demo_staff(
    database: Database, tenant: TenantRecord, *, password: str, actor: str
) -> list[DemoAccount]:
    accounts: list[DemoAccount] = []
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        existing = set(
            (
                await session.scalars(
                    select(StaffAccount.username).where(StaffAccount.tenant_id == tenant.id)
                )
            ).all()
        )
        identity = IdentityService(session, tenant_id=tenant.id, store=MemorySessionStore())
        text = await stored_policy_text(session, tenant.id) or ""
        lines = set(line.strip() for line in text.splitlines())
        added: list[str] = []
        busiest = await _busiest_agency(session)
        for role in tenant_template_roles():
            username = f"{role}@{tenant.code}"
            created = username not in existing
            if created:
                await identity.create_account(
                    username,
                    password,
                    display_name=f"Demo {role}",
                    agency=busiest if role == AGENCY_ROLE else None,
                )
            grant = f"g, {username}, {role}, {tenant.code}"
            if grant not in lines:
                added.append(grant)
            accounts.append(DemoAccount(username, role, tenant.code, created))
        if added:
            policy = read_policy(
                text + "".join(f"{line}\n" for line in added),
                source=f"{tenant.code}:demo",
                domain=tenant.code,
                templates=platform_templates(),
            )
            await save_policy(session, tenant.id, policy, actor=actor, reason="demo accounts")
    return accounts
