"""Adding a staff member with roles: how a new tenant gets its first admin.

Shared by the CLI (``asan staff add``) and, later, the console. The account
and its ``g`` lines are written in one transaction, and the new policy is
checked like any other change.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from asan import audit
from asan.access.store import save_policy, stored_policy_text
from asan.authz import platform_templates, read_policy
from asan.catalogue.models import Agency
from asan.db import Database, PlatformScope, TenantScope
from asan.errors import NotFoundError, ValidationError
from asan.i18n import N_
from asan.identity.models import PlatformOperator, StaffAccount
from asan.identity.passwords import hash_password_async
from asan.identity.service import IdentityService
from asan.identity.sessions import MemorySessionStore
from asan.tenancy import TenantRecord

MIN_PASSWORD_LENGTH = 12
AGENCY_ROLE = "agency_officer"
"""The template role bound to one agency (applications.decide sees that agency only)."""


async def add_platform_operator(
    database: Database, username: str, password: str, *, demo: bool = False
) -> bool:
    """A member of the central team; False when the username exists already.

    ``demo``: the dev-only demo account, whose password is ``ASAN_DEMO_PASSWORD``
    (short on purpose) and is exempt from the length rule.
    """
    if not demo and len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            N_("a password needs at least {count} characters"), count=MIN_PASSWORD_LENGTH
        )
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


async def _known_agency(session: AsyncSession, agency: str | None) -> str | None:
    if (
        agency is not None
        and await session.scalar(select(Agency.id).where(Agency.code == agency)) is None
    ):
        raise ValidationError(
            N_("no agency {agency!r} in the catalogue"),
            detail={"parameter": "agency"},
            agency=agency,
        )
    return agency


class StaffExistsError(ValidationError):
    code = "staff_exists"
    status = 409


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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            N_("a password needs at least {count} characters"), count=MIN_PASSWORD_LENGTH
        )
    if AGENCY_ROLE in roles and agency is None:
        raise ValidationError(
            N_("an agency officer works for one agency: name it with --agency"),
            detail={"parameter": "agency"},
        )
    templates = platform_templates()
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        taken = await session.scalar(
            select(StaffAccount.id).where(
                StaffAccount.tenant_id == tenant.id, StaffAccount.username == username
            )
        )
        if taken is not None:
            raise StaffExistsError(N_("{user} exists already"), user=username)
        text = await stored_policy_text(session, tenant.id) or ""
        grants = "".join(f"g, {username}, {role}, {tenant.code}\n" for role in roles)
        policy = read_policy(
            text + grants, source=f"{tenant.code}:staff", domain=tenant.code, templates=templates
        )
        await IdentityService(
            session, tenant_id=tenant.id, store=MemorySessionStore()
        ).create_account(username, password, agency=await _known_agency(session, agency))
        await save_policy(
            session, tenant.id, policy, actor=actor, reason=f"staff added: {username}"
        )


async def set_staff_password(
    database: Database, tenant: TenantRecord, username: str, password: str, *, actor: str
) -> None:
    """Give a staff member a new password (an imported account has none), and unlock it.

    Their sessions elsewhere are not touched here; the new password is what
    signs in from now on. Recorded in the tenant's audit trail.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            N_("a password needs at least {count} characters"), count=MIN_PASSWORD_LENGTH
        )
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        account = (
            await session.scalars(select(StaffAccount).where(StaffAccount.username == username))
        ).one_or_none()
        if account is None:
            raise NotFoundError(N_("no staff member {user}"), user=username)
        account.password_hash = await hash_password_async(password)
        account.failed_logins = 0
        account.locked_until = None
        audit.record(session, actor=actor, action="staff.password_set", detail={"user": username})
