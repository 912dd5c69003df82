"""One policy engine per process, kept in step with every tenant's stored policy.

Each tenant's compiled rules are swapped in whole when its stored revision
moves; a process checks the revision at most every ``refresh_seconds``, so a
change made through another process takes effect within that time without a
restart (and at once in the process that made it).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import structlog

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
from asan.db import Database, TenantScope, mostly_reading
from asan.identity.service import Principal
from asan.tenancy import TenantRecord

log = structlog.get_logger(__name__)

PLATFORM_OPERATOR = "platform_operator"
"""What every platform operator is: their table is the grant (no per-tenant policy)."""


@dataclass(slots=True)
class _Loaded:
    revision: int
    checked_at: float
    policy: TenantPolicy


class Authorizer:
    def __init__(self, database: Database, *, refresh_seconds: float) -> None:
        self.database = database
        self.refresh_seconds = refresh_seconds
        self.templates = platform_templates()
        self.engine = PolicyEngine(self.templates.casbin_rules)
        self._loaded: dict[uuid.UUID, _Loaded] = {}

    def forget(self, tenant_id: uuid.UUID) -> None:
        self._loaded.pop(tenant_id, None)

    def empty_policy(self, tenant: TenantRecord) -> TenantPolicy:
        return read_policy(
            "", source=f"{tenant.code}:stored", domain=tenant.code, templates=self.templates
        )

    async def policy(self, tenant: TenantRecord) -> TenantPolicy:
        loaded = self._loaded.get(tenant.id)
        now = time.monotonic()
        if loaded is not None and now - loaded.checked_at < self.refresh_seconds:
            return loaded.policy
        with mostly_reading():  # a read beside the request's own transaction
            async with self.database.transaction(TenantScope(tenant.id, tenant.code)) as session:
                revision = await policy_revision(session, tenant.id)
                if loaded is not None and loaded.revision == revision:
                    loaded.checked_at = now
                    return loaded.policy
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
        self.engine.replace_domain(tenant.code, policy.casbin_rules)
        self._loaded[tenant.id] = _Loaded(revision, now, policy)
        return policy

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
