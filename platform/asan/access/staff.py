"""Staff accounts and their roles: adding, changing, suspending, new passwords.

``StaffAdministration`` works in the session it is given (a console request's
transaction, or the CLI's own) and never commits; ``add_staff_member`` and
``set_staff_password`` are the CLI's doors, each in a transaction of its own.
A member's roles are the ``g`` lines of the tenant's policy, so every change
of roles is a policy change, checked like any other: no unknown role, nobody
left able to edit the policy, and no person holding two duties the tenant keeps
apart (``sod`` lines).

Nobody hands out more than they hold: an actor without ``policy.edit`` may
grant or take away only roles whose permissions they hold themselves, and may
not touch the account of anyone who holds ``policy.edit`` (a new password for
an admin is that admin's power). The command line (no ``actor_permissions``)
answers for the whole instance and is not limited this way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from asan import audit
from asan.access.store import save_policy, stored_policy_text
from asan.authz import (
    POLICY_EDIT,
    ROLES,
    PolicyError,
    RoleGrant,
    Scope,
    TenantPolicy,
    ensure_policy_editor,
    platform_templates,
    policy_engine,
    read_policy,
)
from asan.catalogue.models import Agency
from asan.db import Database, PlatformScope, TenantScope, on_commit
from asan.errors import AsanError, NotFoundError, ValidationError
from asan.i18n import N_
from asan.identity.errors import ForbiddenError
from asan.identity.models import PlatformOperator, StaffAccount
from asan.identity.passwords import hash_password_async
from asan.identity.service import IdentityService
from asan.identity.sessions import MemorySessionStore
from asan.tenancy import TenantRecord

if TYPE_CHECKING:
    from asan.access.authorizer import Authorizer

_T = TypeVar("_T")

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
    if not demo:
        _check_password(password)
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


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            N_("a password needs at least {count} characters"),
            detail={"parameter": "password"},
            count=MIN_PASSWORD_LENGTH,
        )


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


class DutiesApartError(ValidationError):
    """Roles that would give one person two duties the tenant's ``sod`` lines keep apart."""

    code = "sod_violation"
    status = 409


class StaffProblemsError(ValidationError):
    """Several independent problems with one request; ``problems`` has each of them."""

    code = "staff_invalid"

    def __init__(self, problems: Sequence[AsanError]) -> None:
        first = problems[0]
        super().__init__(
            N_("{problem} ({count} problems in all)"),
            detail={
                "errors": [{"code": p.code, "message": p.message, **p.detail} for p in problems]
            },
            problem=first.message,
            count=len(problems),
        )
        self.problems = list(problems)


class _Problems:
    """Runs independent checks and keeps what each refused, to report them all at once."""

    def __init__(self) -> None:
        self.found: list[AsanError] = []

    def check(self, check: Callable[[], _T]) -> _T | None:
        try:
            return check()
        except AsanError as exc:
            self.found.append(exc)
            return None

    async def check_async(self, check: Awaitable[_T]) -> _T | None:
        try:
            return await check
        except AsanError as exc:
            self.found.append(exc)
            return None

    def raise_any(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise StaffProblemsError(self.found)


@dataclass(frozen=True, slots=True)
class StaffMember:
    account: StaffAccount
    roles: tuple[str, ...]
    """The roles the policy's ``g`` lines grant the member directly, in line order."""


def grantable_roles(policy: TenantPolicy, templates: TenantPolicy) -> list[str]:
    """The roles a tenant may grant: the tenant template roles, then its own, by name."""
    own = sorted(policy.roles - templates.roles)
    shipped = [name for name, role in ROLES.items() if role.scope is Scope.TENANT]
    return [*shipped, *[role for role in own if role not in ROLES]]


class StaffAdministration:
    """Staff accounts of one tenant, changed by ``actor`` in the caller's session.

    ``actor_permissions``: what the actor holds here (the console's signed-in
    person); None for the command line. ``authorizer``: the process's policy
    engine, told to drop the tenant's compiled policy once a change commits.
    """

    def __init__(
        self,
        session: AsyncSession,
        tenant: TenantRecord,
        *,
        actor: str,
        actor_permissions: frozenset[str] | None = None,
        authorizer: Authorizer | None = None,
    ) -> None:
        self.session = session
        self.tenant = tenant
        self.actor = actor
        self.actor_permissions = actor_permissions
        self.authorizer = authorizer
        self.templates = authorizer.templates if authorizer is not None else platform_templates()

    async def policy(self) -> TenantPolicy:
        """The tenant's policy as stored in this transaction."""
        text = await stored_policy_text(self.session, self.tenant.id) or ""
        source = f"{self.tenant.code}:stored"
        return read_policy(text, source=source, domain=self.tenant.code, templates=self.templates)

    async def roles(self) -> list[str]:
        return grantable_roles(await self.policy(), self.templates)

    async def agencies(self) -> list[Agency]:
        """The catalogue's agencies, which an agency officer may work for."""
        return list((await self.session.scalars(select(Agency).order_by(Agency.code))).all())

    async def members(self) -> list[StaffMember]:
        policy = await self.policy()
        accounts = await self.session.scalars(
            select(StaffAccount)
            .where(StaffAccount.tenant_id == self.tenant.id)
            .order_by(StaffAccount.username)
        )
        return [StaffMember(account, _roles_of(policy, account.username)) for account in accounts]

    async def member(self, username: str) -> StaffMember:
        account = await self._account(username)
        return StaffMember(account, _roles_of(await self.policy(), username))

    async def _account(self, username: str) -> StaffAccount:
        account = (
            await self.session.scalars(
                select(StaffAccount).where(
                    StaffAccount.tenant_id == self.tenant.id, StaffAccount.username == username
                )
            )
        ).one_or_none()
        if account is None:
            raise NotFoundError(N_("no staff member {user}"), user=username)
        return account

    async def add(
        self,
        username: str,
        password: str,
        roles: Sequence[str],
        *,
        display_name: str = "",
        agency: str | None = None,
    ) -> StaffAccount:
        """A new account with ``roles``; every problem found is reported, nothing written."""
        problems = _Problems()
        taken = await self.session.scalar(
            select(StaffAccount.id).where(
                StaffAccount.tenant_id == self.tenant.id, StaffAccount.username == username
            )
        )
        if taken is not None:
            problems.found.append(
                StaffExistsError(
                    N_("{user} exists already"), detail={"parameter": "username"}, user=username
                )
            )
        problems.check(lambda: _check_password(password))
        await problems.check_async(self._check_agency(roles, agency))
        current = await self.policy()
        new_policy = problems.check(lambda: self._with_roles(current, username, [], roles))
        problems.raise_any()
        assert new_policy is not None
        account = await IdentityService(
            self.session, tenant_id=self.tenant.id, store=MemorySessionStore()
        ).create_account(username, password, display_name=display_name.strip(), agency=agency)
        await self._save(new_policy, f"staff added: {username}")
        audit.record(
            self.session,
            actor=self.actor,
            action="staff.added",
            detail={"user": username, "roles": list(roles), "agency": agency},
        )
        assert isinstance(account, StaffAccount)
        return account

    async def change_roles(
        self, username: str, roles: Sequence[str], *, agency: str | None = None
    ) -> None:
        """Grant exactly ``roles`` (and, for an agency officer, the agency worked for)."""
        account = await self._account(username)
        current = await self.policy()
        before = _roles_of(current, username)
        self._may_touch(current, username)
        problems = _Problems()
        await problems.check_async(self._check_agency(roles, agency))
        new_policy = problems.check(lambda: self._with_roles(current, username, before, roles))
        if new_policy is not None:
            problems.check(lambda: ensure_policy_editor(new_policy, self.templates))
        problems.raise_any()
        assert new_policy is not None
        changed = list(before) != list(_roles_of(new_policy, username))
        if changed:
            await self._save(new_policy, f"roles of {username} changed")
        if account.agency != agency:
            account.agency = agency
            changed = True
        if changed:
            audit.record(
                self.session,
                actor=self.actor,
                action="staff.roles_changed",
                detail={
                    "user": username,
                    "before": list(before),
                    "after": list(roles),
                    "agency": agency,
                },
            )

    async def set_active(self, username: str, active: bool) -> None:
        """Suspend (its sessions stop working at once) or reactivate an account."""
        account = await self._account(username)
        if not active and username == self.actor:
            raise ValidationError(
                N_("you cannot suspend your own account"), detail={"parameter": "username"}
            )
        self._may_touch(await self.policy(), username)
        if account.active == active:
            return
        account.active = active
        audit.record(
            self.session,
            actor=self.actor,
            action="staff.reactivated" if active else "staff.suspended",
            detail={"user": username},
        )

    async def set_password(self, username: str, password: str) -> None:
        """A new password (an imported account has none), and the account unlocked.

        Sessions already open are not ended; the new password is what signs
        in from now on.
        """
        _check_password(password)
        account = await self._account(username)
        self._may_touch(await self.policy(), username)
        account.password_hash = await hash_password_async(password)
        account.failed_logins = 0
        account.locked_until = None
        audit.record(
            self.session, actor=self.actor, action="staff.password_set", detail={"user": username}
        )

    async def _check_agency(self, roles: Sequence[str], agency: str | None) -> None:
        if AGENCY_ROLE in roles and not agency:
            raise ValidationError(
                N_("an agency officer works for one agency: name the agency"),
                detail={"parameter": "agency"},
            )
        await _known_agency(self.session, agency)

    def _may_touch(self, policy: TenantPolicy, username: str) -> None:
        """Only a policy editor acts on the account of someone who may edit the policy."""
        if self.actor_permissions is None or POLICY_EDIT in self.actor_permissions:
            return
        engine = policy_engine(policy, self.templates)
        if engine.enforce(username, policy.domain, POLICY_EDIT):
            raise ForbiddenError(
                N_("only someone who may edit the policy can change the account of {user}"),
                detail={"user": username, "permission": POLICY_EDIT},
                user=username,
            )

    def _with_roles(
        self,
        current: TenantPolicy,
        username: str,
        before: Sequence[str],
        after: Sequence[str],
    ) -> TenantPolicy:
        """``current`` with ``username`` granted exactly ``after``, checked."""
        wanted = list(dict.fromkeys(after))
        self._may_grant(current, set(before) ^ set(wanted))
        kept = tuple(
            grant for grant in current.grouping if grant.user != username or grant.role in wanted
        )
        added = tuple(
            RoleGrant(username, role, current.domain) for role in wanted if role not in before
        )
        text = dataclasses.replace(current, grouping=kept + added).to_csv()
        try:
            policy = read_policy(
                text, source="roles", domain=current.domain, templates=self.templates
            )
        except PolicyError as exc:
            raise ValidationError(
                N_("these roles cannot be granted: {reason}"),
                detail={"parameter": "roles"},
                reason=exc.problems[0].reason,
            ) from exc
        _ensure_duties_apart(policy, self.templates, username)
        return policy

    def _may_grant(self, policy: TenantPolicy, roles: set[str]) -> None:
        if self.actor_permissions is None or POLICY_EDIT in self.actor_permissions:
            return
        engine = policy_engine(policy, self.templates)
        for role in sorted(roles):
            if not engine.permissions_of(role, policy.domain) <= self.actor_permissions:
                raise ForbiddenError(
                    N_(
                        "you may not grant or take away the role {role}: "
                        "it carries permissions you do not hold"
                    ),
                    detail={"parameter": "roles", "role": role},
                    role=role,
                )

    async def _save(self, policy: TenantPolicy, reason: str) -> None:
        await save_policy(self.session, self.tenant.id, policy, actor=self.actor, reason=reason)
        if self.authorizer is not None:
            authorizer, tenant_id = self.authorizer, self.tenant.id
            on_commit(self.session, lambda: authorizer.forget(tenant_id))


def _roles_of(policy: TenantPolicy, username: str) -> tuple[str, ...]:
    return tuple(grant.role for grant in policy.grouping if grant.user == username)


def _ensure_duties_apart(policy: TenantPolicy, templates: TenantPolicy, username: str) -> None:
    engine = policy_engine(policy, templates)
    for pair in policy.sod_pairs:
        if engine.enforce(username, policy.domain, pair.first) and engine.enforce(
            username, policy.domain, pair.second
        ):
            raise DutiesApartError(
                N_("{user} would hold both {first} and {second}, which must not go together"),
                detail={"parameter": "roles", "first": pair.first, "second": pair.second},
                user=username,
                first=pair.first,
                second=pair.second,
            )


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
