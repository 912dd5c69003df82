"""One policy engine per process, kept in step with every tenant's stored policy.

Each tenant's compiled rules are swapped in whole when its stored revision
moves; a process checks the revision at most every ``refresh_seconds``, so a
change made through another process takes effect within that time without a
restart (and at once in the process that made it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from asan.access.store import policy_revision, stored_policy_text
from asan.authz import (
    PERMISSIONS,
    PLATFORM_DOMAIN,
    POLICY_EDIT,
    ROLES,
    PolicyEngine,
    PolicyError,
    Scope,
    TenantPolicy,
    platform_templates,
    read_policy,
)
from asan.db import Database
from asan.identity.service import Principal
from asan.tenancy import TenantRecord
from asan.tenancy.cache import TenantCache

log = structlog.get_logger(__name__)

PLATFORM_OPERATOR = "platform_operator"
"""What every platform operator is: their table is the grant (no per-tenant policy)."""


@dataclass(frozen=True, slots=True)
class _Loaded:
    revision: int
    policy: TenantPolicy


class Authorizer:
    def __init__(self, database: Database, *, refresh_seconds: float) -> None:
        self.database = database
        self.refresh_seconds = refresh_seconds
        self.templates = platform_templates()
        self.engine = PolicyEngine(self.templates.casbin_rules)
        self._loaded: TenantCache[_Loaded] = TenantCache(
            database, refresh_seconds=refresh_seconds, load=self._read_if_revised
        )
        self._in_engine: dict[uuid.UUID, _Loaded] = {}
        """What the engine holds of each tenant: the rules of the policy last handed out."""

    def forget(self, tenant_id: uuid.UUID) -> None:
        self._loaded.forget(tenant_id)

    def empty_policy(self, tenant: TenantRecord) -> TenantPolicy:
        return read_policy(
            "", source=f"{tenant.code}:stored", domain=tenant.code, templates=self.templates
        )

    async def policy(self, tenant: TenantRecord) -> TenantPolicy:
        loaded = await self._loaded.get(tenant)
        # Swapped here rather than when read: a read that a ``forget`` overtook is
        # not kept, and the engine follows whatever the cache hands out next.
        if self._in_engine.get(tenant.id) is not loaded:
            self.engine.replace_domain(tenant.code, loaded.policy.casbin_rules)
            self._in_engine[tenant.id] = loaded
        return loaded.policy

    async def _read_if_revised(
        self, session: AsyncSession, tenant: TenantRecord, kept: _Loaded | None
    ) -> _Loaded:
        revision = await policy_revision(session, tenant.id)
        if kept is not None and kept.revision == revision:
            return kept
        text = await stored_policy_text(session, tenant.id)
        try:
            policy = read_policy(
                text or "",
                source=f"{tenant.code}:stored",
                domain=tenant.code,
                templates=self.templates,
            )
        except PolicyError as exc:
            # A stored policy the running code no longer accepts (a role dropped
            # since): the tenant's own rules are off, the templates still apply.
            log.error("stored policy rejected", error=exc.message)
            policy = self.empty_policy(tenant)
        return _Loaded(revision, policy)

    async def allowed(
        self, tenant: TenantRecord | None, principal: Principal, permission: str
    ) -> bool:
        if tenant is None:
            # The base domain: platform operators, with the platform_operator template.
            return principal.kind == "operator" and self.engine.enforce(
                PLATFORM_OPERATOR, PLATFORM_DOMAIN, permission
            )
        if principal.kind == "operator" or principal.tenant_id != tenant.id:
            return False
        if permission in PERMISSIONS and PERMISSIONS[permission].scope is Scope.PLATFORM:
            return False  # platform permissions exist on the base domain only
        await self.policy(tenant)
        subject = principal.token_role if principal.kind == "token" else principal.subject
        if subject is None:
            return False
        return self.engine.enforce(subject, tenant.code, permission)

    async def roles_and_permissions(
        self, tenant: TenantRecord | None, principal: Principal
    ) -> tuple[frozenset[str], frozenset[str]]:
        if tenant is None:
            if principal.kind != "operator":
                return frozenset(), frozenset()
            roles = frozenset({PLATFORM_OPERATOR})
            return roles, self.engine.permissions_of(PLATFORM_OPERATOR, PLATFORM_DOMAIN)
        await self.policy(tenant)
        if principal.kind == "token":
            role = principal.token_role or ""
            return frozenset({role}), self.engine.permissions_of(role, tenant.code)
        return (
            self.engine.roles_of(principal.subject, tenant.code),
            self.engine.permissions_of(principal.subject, tenant.code),
        )

    async def role_exists(self, tenant: TenantRecord, role: str) -> bool:
        """A role of this tenant: its own, or a tenant template (never platform_operator)."""
        policy = await self.policy(tenant)
        template = ROLES.get(role)
        if template is not None and template.scope is Scope.PLATFORM:
            return False
        return role in self.templates.roles or role in policy.roles

    async def may_issue_token(self, tenant: TenantRecord, principal: Principal, role: str) -> bool:
        """No one hands a machine more than they have.

        A token may carry a role whose permissions the issuer holds, or any
        tenant role when the issuer may edit the policy (who could grant
        themselves that role anyway). Tokens never issue tokens.
        """
        if principal.kind != "staff":
            return False
        _, held = await self.roles_and_permissions(tenant, principal)
        if POLICY_EDIT in held:
            return True
        return self.engine.permissions_of(role, tenant.code) <= held
