"""Logging staff in, and API tokens for machines, shared by the API, console and CLI.

Like every service here it works in the session it is given and never
commits. Accounts are looked up by (tenant, username) with an explicit
tenant filter; the request's scope guards it too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from asan import audit
from asan.db import utcnow
from asan.errors import NotFoundError, ValidationError
from asan.i18n import N_
from asan.identity.errors import (
    AccountLockedError,
    ForbiddenError,
    NotAuthenticatedError,
    TooManyAttemptsError,
)
from asan.identity.models import ApiToken, PlatformOperator, StaffAccount
from asan.identity.passwords import hash_password_async, needs_rehash, verify_password
from asan.identity.sessions import SessionData, SessionStore, new_token, token_digest

if TYPE_CHECKING:
    from asan.tenancy import TenantRecord

log = structlog.get_logger(__name__)

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
LOGIN_ATTEMPTS_PER_ADDRESS = 20
"""Per client address and minute, whatever the usernames tried."""
SESSION_LIFETIME = timedelta(hours=8)
"""One working day at a front desk."""
MAX_TOKEN_DAYS = 366
TOKEN_NAME_LENGTH = 120


class UnknownRoleError(ValidationError):
    code = "unknown_role"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: a staff member, or a machine through an API token."""

    kind: str
    """``staff``, ``token``, or ``operator`` (the central team, on the base domain)."""
    id: uuid.UUID
    name: str
    """The username, or the token's name."""
    tenant_id: uuid.UUID | None
    """None for platform operators: they belong to the platform."""
    token_role: str | None = None
    """For tokens: the one role it is scoped to."""
    agency: str | None = None
    """Staff of one agency (its officers) see that agency's applications and nothing else."""

    @property
    def subject(self) -> str:
        """The policy subject: a username, or ``token:<id>``."""
        return f"token:{self.id}" if self.kind == "token" else self.name


def _agency(account: StaffAccount | PlatformOperator) -> str | None:
    return account.agency if isinstance(account, StaffAccount) else None


@dataclass(frozen=True, slots=True)
class Login:
    token: str
    expires_at: datetime
    principal: Principal
    locale: str | None = None
    """The language the person chose in the console, if they ever did."""


class TokenRules(Protocol):
    """What issuing a token asks of the policy (``asan.access.authorizer.Authorizer``)."""

    async def role_exists(self, tenant: TenantRecord, role: str) -> bool: ...

    async def may_issue_token(
        self, tenant: TenantRecord, principal: Principal, role: str
    ) -> bool: ...


class IdentityService:
    """Sign-in for one realm: a tenant's staff (``tenant_id``), or platform operators (None).

    Operators' accounts are read in the platform scope the caller opened;
    there are no API tokens for them, and their sign-ins go to the log, not
    to a tenant's audit trail.
    """

    def __init__(
        self, session: AsyncSession, *, tenant_id: uuid.UUID | None, store: SessionStore
    ) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.store = store

    @property
    def realm(self) -> str:
        return str(self.tenant_id) if self.tenant_id is not None else "platform"

    async def _account(self, username: str) -> StaffAccount | PlatformOperator | None:
        if self.tenant_id is None:
            query = select(PlatformOperator).where(PlatformOperator.username == username)
            return (await self.session.scalars(query)).one_or_none()
        return (
            await self.session.scalars(
                select(StaffAccount).where(
                    StaffAccount.tenant_id == self.tenant_id, StaffAccount.username == username
                )
            )
        ).one_or_none()

    @property
    def _kind(self) -> str:
        return "staff" if self.tenant_id is not None else "operator"

    def _record(self, actor: str, action: str, **detail: str) -> None:
        if self.tenant_id is None:
            log.info(action, actor=actor, **detail)
        else:
            audit.record(
                self.session, tenant_id=self.tenant_id, actor=actor, action=action, detail=detail
            )

    async def create_account(
        self, username: str, password: str, *, display_name: str = "", agency: str | None = None
    ) -> StaffAccount | PlatformOperator:
        """A new account. Usernames hold an ``@`` (``aliyev@az``): role names never do, so a
        user can never be mistaken for a role by the policy engine."""
        if "@" not in username or username.startswith("@") or username.endswith("@"):
            raise ValidationError(
                N_("a username looks like name@place, e.g. {example}"),
                detail={"parameter": "username"},
                example="aliyev@az",
            )
        password_hash = await hash_password_async(password)
        account: StaffAccount | PlatformOperator = (
            StaffAccount(
                tenant_id=self.tenant_id,
                username=username,
                display_name=display_name,
                password_hash=password_hash,
                agency=agency,
            )
            if self.tenant_id is not None
            else PlatformOperator(
                username=username, display_name=display_name, password_hash=password_hash
            )
        )
        self.session.add(account)
        return account

    async def log_in(self, username: str, password: str, *, client: str) -> Login:
        """A new session for the right password; counts failures and locks after too many.

        Failures are counted per (realm, username) in the session store, with
        an atomic increment (Redis INCR when shared), for existing and unknown
        names alike, and the password is always checked before the lock: the
        answers and their timing do not tell which usernames exist.
        """
        attempts = await self.store.hit(f"login:{self.realm}:{client}", 60)
        if attempts > LOGIN_ATTEMPTS_PER_ADDRESS:
            raise TooManyAttemptsError(N_("too many sign-in attempts; wait a minute and try again"))
        account = await self._account(username)
        now = utcnow()
        valid = await verify_password(account.password_hash if account else None, password)
        failures_key = f"failures:{self.realm}:{username}"
        if await self.store.count(failures_key) >= MAX_FAILED_LOGINS:
            raise AccountLockedError(
                N_("this account is locked after repeated failed sign-ins; try again later")
            )
        if account is None or not account.active or not valid:
            failures = await self.store.hit(failures_key, int(LOCKOUT.total_seconds()))
            if account is not None:
                account.failed_logins += 1
                if failures == MAX_FAILED_LOGINS:
                    account.locked_until = now + LOCKOUT
                    self._record(username, "staff.locked", client=client)
            raise NotAuthenticatedError(N_("wrong username or password"))
        await self.store.forget(failures_key)
        account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
        if needs_rehash(account.password_hash):
            account.password_hash = await hash_password_async(password)
        token = new_token()
        expires_at = now + SESSION_LIFETIME
        principal = Principal(
            self._kind, account.id, account.username, self.tenant_id, agency=_agency(account)
        )
        await self.store.save(
            token,
            SessionData(str(account.id), account.username, self.realm, expires_at.timestamp()),
        )
        self._record(username, "staff.signed_in", client=client)
        return Login(token, expires_at, principal, account.locale)

    async def remember_locale(self, principal: Principal, locale: str) -> None:
        """Keep the console language a person chose, for their next sign-in on any device."""
        if principal.kind == "token":
            return  # a machine has no account to keep it on
        account: StaffAccount | PlatformOperator | None = (
            await self.session.get(StaffAccount, (self.tenant_id, principal.id))
            if self.tenant_id is not None
            else await self.session.get(PlatformOperator, principal.id)
        )
        if account is not None:
            account.locale = locale

    async def log_out(self, token: str) -> None:
        await self.store.delete(self.realm, token)

    async def principal_for(self, token: str) -> Principal | None:
        """The principal a bearer token or session cookie stands for on this tenant, if any."""
        data = await self.store.load(self.realm, token)
        if data is not None:
            key = uuid.UUID(data.account_id)
            account: StaffAccount | PlatformOperator | None = (
                await self.session.get(StaffAccount, (self.tenant_id, key))
                if self.tenant_id is not None
                else await self.session.get(PlatformOperator, key)
            )
            if account is None or not account.active:
                return None
            return Principal(
                self._kind, account.id, account.username, self.tenant_id, agency=_agency(account)
            )
        if self.tenant_id is None:
            return None  # no API tokens on the platform
        row = (
            await self.session.scalars(
                select(ApiToken).where(
                    ApiToken.tenant_id == self.tenant_id, ApiToken.token_hash == token_digest(token)
                )
            )
        ).one_or_none()
        now = utcnow()
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        row.last_used_at = now
        return Principal("token", row.id, row.name, self.tenant_id, token_role=row.role)

    async def create_token(
        self, *, name: str, role: str, lifetime: timedelta, created_by: str
    ) -> tuple[str, ApiToken]:
        token = new_token()
        now = utcnow()
        row = ApiToken(
            tenant_id=self.tenant_id,
            name=name,
            role=role,
            token_hash=token_digest(token),
            created_by=created_by,
            created_at=now,
            expires_at=now + lifetime,
        )
        self.session.add(row)
        audit.record(
            self.session,
            tenant_id=self.tenant_id,
            actor=created_by,
            action="token.created",
            detail={"name": name, "role": role, "expires_at": row.expires_at.isoformat()},
        )
        return token, row

    async def revoke_token(self, token_id: uuid.UUID, *, revoked_by: str) -> ApiToken | None:
        row = await self.session.get(ApiToken, (self.tenant_id, token_id))
        if row is None:
            return None
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit.record(
                self.session,
                tenant_id=self.tenant_id,
                actor=revoked_by,
                action="token.revoked",
                detail={"name": row.name},
            )
        return row

    async def tokens(self) -> list[ApiToken]:
        rows = await self.session.scalars(
            select(ApiToken)
            .where(ApiToken.tenant_id == self.tenant_id)
            .order_by(ApiToken.created_at)
        )
        return list(rows.all())

    async def issue_token(
        self,
        *,
        tenant: TenantRecord,
        issuer: Principal,
        name: str,
        role: str,
        days: int,
        rules: TokenRules,
    ) -> tuple[str, ApiToken]:
        """A token for a machine, scoped to ``role``, valid ``days`` days (1 to 366).

        The role must exist here, and nobody issues a token holding more than
        they may (``rules.may_issue_token``). The token is in the answer only:
        it is stored as a hash. The API and the console both issue through this.
        """
        if not 1 <= days <= MAX_TOKEN_DAYS:
            raise ValidationError(
                N_("a token must be valid for 1 to {high} days"),
                detail={"parameter": "expires_in_days"},
                high=MAX_TOKEN_DAYS,
            )
        name = name.strip()
        if not name or len(name) > TOKEN_NAME_LENGTH:
            raise ValidationError(
                N_("a token needs a name of 1 to {high} characters"),
                detail={"parameter": "name"},
                high=TOKEN_NAME_LENGTH,
            )
        if not await rules.role_exists(tenant, role):
            raise UnknownRoleError(
                N_("unknown role {role}"), detail={"parameter": "role"}, role=role
            )
        if not await rules.may_issue_token(tenant, issuer, role):
            raise ForbiddenError(
                N_("{user} may not issue a token for the role {role}"),
                detail={"role": role},
                user=issuer.name,
                role=role,
            )
        token, row = await self.create_token(
            name=name, role=role, lifetime=timedelta(days=days), created_by=issuer.name
        )
        await self.session.flush()
        return token, row

    async def withdraw_token(self, token_id: uuid.UUID, *, revoked_by: str) -> ApiToken:
        """Revoke a token of this tenant (again: nothing changes); unknown ids are not found."""
        row = await self.revoke_token(token_id, revoked_by=revoked_by)
        if row is None:
            raise NotFoundError(
                N_("no token with id {id}"), detail={"id": str(token_id)}, id=str(token_id)
            )
        return row
