"""Staff accounts with roles, and signed-in clients, for tests."""

from __future__ import annotations

import httpx

from asan.access.store import save_policy, stored_policy_text
from asan.authz import read_policy
from asan.db import Database, TenantScope
from asan.identity.service import IdentityService
from asan.identity.sessions import MemorySessionStore
from asan.tenancy import Tenant

PASSWORD = "correct horse battery staple"


async def add_staff(database: Database, tenant: Tenant, username: str, *roles: str) -> None:
    """An account on ``tenant`` holding ``roles`` (g lines added to the tenant's policy)."""
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        await IdentityService(
            session, tenant_id=tenant.id, store=MemorySessionStore()
        ).create_account(username, PASSWORD)
        text = await stored_policy_text(session, tenant.id) or ""
        text += "".join(f"g, {username}, {role}, {tenant.code}\n" for role in roles)
        policy = read_policy(text, source="test", domain=tenant.code)
        await save_policy(session, tenant.id, policy, actor="test", reason="test")


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return token
