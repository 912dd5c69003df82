"""Policy routes: tenant admins read and change their tenant's own policy."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Router, get, put
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.plugins import InitPluginProtocol
from sqlalchemy.ext.asyncio import AsyncSession

from asan.access.authorizer import Authorizer
from asan.access.guard import require_permission
from asan.access.store import change_policy, policy_revision
from asan.api.hosts import ServedOn, on
from asan.authz import check_policy, policy_matrix
from asan.config import Settings
from asan.identity.api import signed_in
from asan.tenancy import TenantRecord


class PolicyBody(msgspec.Struct):
    policy: str
    """The whole policy, as ``policy.csv`` text."""


@get("/policy", opt={"permission": "policy.read"})
async def get_policy(
    state: State, db_session: NamedDependency[AsyncSession], tenant: NamedDependency[TenantRecord]
) -> dict[str, Any]:
    authorizer: Authorizer = state.authorizer
    policy = await authorizer.policy(tenant)
    findings = check_policy(policy, authorizer.templates)
    return {
        "policy": policy.to_csv(),
        "revision": await policy_revision(db_session, tenant.id),
        "findings": [str(finding) for finding in findings],
    }


@put("/policy", opt={"permission": "policy.edit"})
async def replace_policy(
    request: Request[Any, Any, Any],
    data: JSONBody[PolicyBody],
    state: State,
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    """Replace the policy; refused if it is malformed or would leave nobody able to edit it."""
    principal = await signed_in(request)
    authorizer: Authorizer = state.authorizer
    policy = await change_policy(
        db_session,
        tenant,
        data.policy,
        authorizer=authorizer,
        actor=principal.name,
        reason="api",
        source="request",
    )
    return {
        "policy": policy.to_csv(),
        "findings": [str(finding) for finding in check_policy(policy, authorizer.templates)],
    }


@get("/policy/matrix", opt={"permission": "policy.read"})
async def get_matrix(state: State, tenant: NamedDependency[TenantRecord]) -> dict[str, Any]:
    authorizer: Authorizer = state.authorizer
    matrix = policy_matrix(await authorizer.policy(tenant), authorizer.templates)
    return {"table": matrix.table()}


class AccessPlugin(InitPluginProtocol):
    """The guard on every route, the per-process authorizer, and the policy routes."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        settings: Settings = app_config.state["settings"]
        app_config.state["authorizer"] = Authorizer(
            app_config.state["database"], refresh_seconds=settings.policy_refresh_seconds
        )
        app_config.guards.append(require_permission)
        app_config.route_handlers.append(
            Router(
                "/api/v1",
                route_handlers=[get_policy, replace_policy, get_matrix],
                opt=on(ServedOn.TENANT),
                tags=["policy"],
            )
        )
        return app_config
