"""Staff accounts and their roles: adding, changing, suspending, new passwords.

``StaffAdministration`` works in the session it is given (a console request's
transaction, or the CLI's own) and never commits; the CLI's doors, each in a
transaction of its own, are ``asan.access.staff``'s.
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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from asan import audit
from asan.access.staff_rules import (
    AGENCY_ROLE,
    Refusals,
    StaffExistsError,
    check_password,
    ensure_duties_apart,
    grantable_roles,
    known_agency,
    roles_of,
)
from asan.access.store import policy_revision, save_and_forget, stored_policy_text
from asan.authz import (
    POLICY_EDIT,
    PolicyEngine,
    PolicyError,
    RoleGrant,
    TenantPolicy,
    ensure_policy_editor,
    platform_templates,
    policy_engine,
    read_policy,
)
from asan.catalogue.models import Agency
from asan.errors import NotFoundError, ValidationError
from asan.i18n import N_
from asan.identity.errors import ForbiddenError
from asan.identity.models import StaffAccount
from asan.identity.passwords import hash_password_async
from asan.identity.service import IdentityService
from asan.identity.sessions import MemorySessionStore
from asan.tenancy import TenantRecord

if TYPE_CHECKING:
    from asan.access.authorizer import Authorizer


@dataclass(frozen=True, slots=True)
class StaffMember:
    account: StaffAccount
    roles: tuple[str, ...]
    """The roles the policy's ``g`` lines grant the member directly, in line order."""


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
        return (await self._stored())[0]

    async def _stored(self) -> tuple[TenantPolicy, int]:
        """The stored policy and the revision it is, for a change saved only from there.

        The revision is read first: a change committed between the two reads
        then makes the save refused rather than silently overwritten.
        """
        revision = await policy_revision(self.session, self.tenant.id)
        text = await stored_policy_text(self.session, self.tenant.id) or ""
        source = f"{self.tenant.code}:stored"
        policy = read_policy(text, source=source, domain=self.tenant.code, templates=self.templates)
        return policy, revision

    async def roles(self) -> list[str]:
        return grantable_roles(await self.policy(), self.templates)

    async def agencies(self) -> list[Agency]:
        """The catalogue's agencies, which an agency officer may work for."""
        return list(
            (
                await self.session.scalars(
                    select(Agency).where(Agency.tenant_id == self.tenant.id).order_by(Agency.code)
                )
            ).all()
        )

    async def members(self) -> list[StaffMember]:
        policy = await self.policy()
        accounts = await self.session.scalars(
            select(StaffAccount)
            .where(StaffAccount.tenant_id == self.tenant.id)
            .order_by(StaffAccount.username)
        )
        return [StaffMember(account, roles_of(policy, account.username)) for account in accounts]

    async def member(self, username: str) -> StaffMember:
        account = await self._account(username)
        return StaffMember(account, roles_of(await self.policy(), username))

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
        problems = Refusals()
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
        problems.check(lambda: check_password(password))
        await problems.check_async(self._check_agency(roles, agency))
        current, revision = await self._stored()
        new_policy = problems.check(
            lambda: self._with_roles(
                current, policy_engine(current, self.templates), username, [], roles
            )
        )
        problems.raise_any()
        assert new_policy is not None
        await self._save(new_policy, revision, f"staff added: {username}")
        account = await IdentityService(
            self.session, tenant_id=self.tenant.id, store=MemorySessionStore()
        ).create_account(username, password, display_name=display_name.strip(), agency=agency)
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
        current, revision = await self._stored()
        engine = policy_engine(current, self.templates)
        before = roles_of(current, username)
        self._may_touch(current, username, engine)
        problems = Refusals()
        await problems.check_async(self._check_agency(roles, agency))
        new_policy = problems.check(
            lambda: self._with_roles(current, engine, username, before, roles)
        )
        if new_policy is not None:
            problems.check(lambda: ensure_policy_editor(new_policy, self.templates))
        problems.raise_any()
        assert new_policy is not None
        changed = list(before) != list(roles_of(new_policy, username))
        if changed:
            await self._save(new_policy, revision, f"roles of {username} changed")
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
        check_password(password)
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
        await known_agency(self.session, self.tenant.id, agency)

    def _may_touch(
        self, policy: TenantPolicy, username: str, engine: PolicyEngine | None = None
    ) -> None:
        """Act on an account (password, suspension) only if it holds nothing the actor lacks.

        A new password lets its setter sign in as that person: whoever could
        reset an account holding more than they hold could take those rights.
        ``engine``: ``policy``'s, when the caller has built it already.
        """
        if self.actor_permissions is None or POLICY_EDIT in self.actor_permissions:
            return
        engine = engine or policy_engine(policy, self.templates)
        beyond = engine.permissions_of(username, policy.domain) - self.actor_permissions
        if beyond:
            raise ForbiddenError(
                N_(
                    "you may not change the account of {user}: it holds permissions you do not hold"
                ),
                detail={"user": username, "permissions": sorted(beyond)},
                user=username,
            )

    def _with_roles(
        self,
        current: TenantPolicy,
        engine: PolicyEngine,
        username: str,
        before: Sequence[str],
        after: Sequence[str],
    ) -> TenantPolicy:
        """``current`` (whose engine is ``engine``) with ``username`` granted exactly ``after``,
        checked."""
        wanted = list(dict.fromkeys(after))
        self._may_grant(current, engine, set(before) ^ set(wanted))
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
        ensure_duties_apart(policy, self.templates, username)
        return policy

    def _may_grant(self, policy: TenantPolicy, engine: PolicyEngine, roles: set[str]) -> None:
        if self.actor_permissions is None or POLICY_EDIT in self.actor_permissions:
            return
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

    async def _save(self, policy: TenantPolicy, revision: int, reason: str) -> None:
        """Save ``policy``, made from the stored ``revision``: refused if it moved since."""
        await save_and_forget(
            self.session,
            self.tenant.id,
            policy,
            authorizer=self.authorizer,
            actor=self.actor,
            reason=reason,
            expected_revision=revision,
        )
