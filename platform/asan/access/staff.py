"""The command line's doors to staff accounts, each in a transaction of its own.

``asan staff add`` and ``asan staff set-password`` go through
``StaffAdministration`` (``asan.access.staff_admin``), checked like a change
made in the console, with no actor's limits: the command line answers for the
whole instance. ``add_platform_operator`` adds a member of the central team.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from asan.access.staff_admin import StaffAdministration
from asan.access.staff_rules import check_password
from asan.db import Database, PlatformScope, TenantScope
from asan.identity.models import PlatformOperator
from asan.identity.service import IdentityService
from asan.identity.sessions import MemorySessionStore
from asan.tenancy import TenantRecord


async def add_platform_operator(
    database: Database, username: str, password: str, *, demo: bool = False
) -> bool:
    """A member of the central team; False when the username exists already.

    ``demo``: the dev-only demo account, whose password is ``ASAN_DEMO_PASSWORD``
    (short on purpose) and is exempt from the length rule.
    """
    if not demo:
        check_password(password)
    async with database.transaction(
        PlatformScope(reason=f"add platform operator {username}")
    ) as session:
        taken = await session.scalar(
            select(PlatformOperator.id).where(PlatformOperator.username == username)
        )
        if taken is not None:
            return False
        await IdentityService(session, tenant_id=None, store=MemorySessionStore()).create_account(
            username, password
        )
    return True


async def add_staff_member(
    database: Database,
    tenant: TenantRecord,
    username: str,
    password: str,
    roles: Sequence[str],
    *,
    actor: str,
    agency: str | None = None,
) -> None:
    """``asan staff add``: an account with roles, in a transaction of its own."""
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        await StaffAdministration(session, tenant, actor=actor).add(
            username, password, roles, agency=agency
        )


async def set_staff_password(
    database: Database, tenant: TenantRecord, username: str, password: str, *, actor: str
) -> None:
    """``asan staff set-password``: a new password and the account unlocked, in its own
    transaction. Recorded in the tenant's audit trail."""
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        await StaffAdministration(session, tenant, actor=actor).set_password(username, password)
