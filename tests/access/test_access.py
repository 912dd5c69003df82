"""Who may do what: sign-in, tokens, the permission on every route, policy changes."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import update

from asan.api import create_app
from asan.authz import PERMISSIONS, PUBLIC
from asan.config import Settings
from asan.db import Database, TenantScope
from asan.identity.models import ApiToken
from asan.tenancy import Tenant
from tests.support.factories import create_tenant
from tests.support.staff import PASSWORD, add_staff, sign_in

Client = Callable[..., Awaitable[httpx.AsyncClient]]


def test_every_route_declares_a_permission(app: Litestar) -> None:
    undeclared = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            permission = handler.opt.get("permission")
            if handler.http_methods == {"OPTIONS"}:
                continue  # Litestar's own preflight answer; the guard lets it through
            if permission != PUBLIC and permission not in PERMISSIONS:
                undeclared.append(f"{route.path} {sorted(handler.http_methods)}: {permission!r}")
    assert not undeclared, f"routes without a known permission: {undeclared}"


@pytest.fixture
async def tenants(database: Database) -> tuple[Tenant, Tenant]:
    first = await create_tenant(database, "za", locales=("en", "fr"))
    second = await create_tenant(database, "zb", locales=("en", "fr"))
    await add_staff(database, first, "admin@za", "tenant_admin")
    await add_staff(database, first, "desk@za", "operator")
    await add_staff(database, second, "admin@zb", "tenant_admin")
    return first, second


@pytest.fixture
async def client(settings: Settings, database: Database) -> AsyncIterator[Client]:
    opened: list[httpx.AsyncClient] = []

    async def make(
        host: str = "za.localhost", app: Litestar | None = None, **changes: object
    ) -> httpx.AsyncClient:
        app = app or create_app(dataclasses.replace(settings, **changes), database=database)
        made = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{host}")
        opened.append(made)
        return made

    yield make
    for made in opened:
        await made.aclose()


async def test_sign_in_me_and_sign_out(tenants: tuple[Tenant, Tenant], client: Client) -> None:
    http = await client()
    response = await http.post(
        "/api/v1/auth/login", json={"username": "admin@za", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"token", "expires_at"}
    assert "asan_session" in response.cookies
    me = (await http.get("/api/v1/auth/me")).json()  # through the cookie
    assert (me["username"], me["roles"]) == ("admin@za", ["tenant_admin"])
    assert "policy.edit" in me["permissions"]
    assert (await http.post("/api/v1/auth/logout")).status_code == 200
    assert (await http.get("/api/v1/auth/me")).status_code == 401


async def test_a_login_on_one_tenant_never_works_on_another(
    tenants: tuple[Tenant, Tenant], client: Client
) -> None:
    first = await client()
    token = await sign_in(first, "admin@za")
    second = await client("zb.localhost", app=first._transport.app)  # type: ignore[attr-defined]
    refused = await second.post(
        "/api/v1/auth/login", json={"username": "admin@za", "password": PASSWORD}
    )
    assert refused.status_code == 401
    for headers in ({"Authorization": f"Bearer {token}"}, {"Cookie": f"asan_session={token}"}):
        assert (await second.get("/api/v1/auth/me", headers=headers)).status_code == 401
        assert (await second.get("/api/v1/policy", headers=headers)).status_code == 401


async def test_wrong_passwords_lock_the_account(
    tenants: tuple[Tenant, Tenant], client: Client
) -> None:
    http = await client()
    for _ in range(5):
        wrong = await http.post(
            "/api/v1/auth/login", json={"username": "desk@za", "password": "nope"}
        )
        assert wrong.status_code == 401
        assert wrong.json()["message"] == "wrong username or password"
    locked = await http.post(
        "/api/v1/auth/login", json={"username": "desk@za", "password": PASSWORD}
    )
    assert locked.status_code == 423
    unknown = await http.post("/api/v1/auth/login", json={"username": "ghost@za", "password": "x"})
    assert unknown.json()["message"] == "wrong username or password"


async def test_tokens_are_scoped_expire_and_can_be_revoked(
    database: Database, tenants: tuple[Tenant, Tenant], client: Client
) -> None:
    admin = await client()
    await sign_in(admin, "admin@za")
    issued = await admin.post(
        "/api/v1/tokens", json={"name": "kiosk 1", "role": "operator", "expires_in_days": 30}
    )
    assert issued.status_code == 201, issued.text
    token, token_id = issued.json()["token"], issued.json()["id"]

    kiosk = await client(app=admin._transport.app)  # type: ignore[attr-defined]
    kiosk.headers["Authorization"] = f"Bearer {token}"
    me = (await kiosk.get("/api/v1/auth/me")).json()
    assert (me["kind"], me["roles"]) == ("token", ["operator"])
    assert (await kiosk.get("/api/v1/policy")).status_code == 403  # operators may not read it

    listed = (await admin.get("/api/v1/tokens")).json()["items"]
    assert [(t["name"], t["role"]) for t in listed] == [("kiosk 1", "operator")]
    assert token not in str(listed)

    assert (await admin.delete(f"/api/v1/tokens/{token_id}")).status_code == 200
    assert (await kiosk.get("/api/v1/auth/me")).status_code == 401

    second = (await admin.post("/api/v1/tokens", json={"name": "board", "role": "auditor"})).json()
    kiosk.headers["Authorization"] = f"Bearer {second['token']}"
    assert (await kiosk.get("/api/v1/auth/me")).status_code == 200
    first_tenant = tenants[0]
    async with database.transaction(TenantScope(first_tenant.id, first_tenant.code)) as session:
        await session.execute(
            update(ApiToken)
            .where(ApiToken.id == uuid.UUID(second["id"]))
            .values(expires_at=ApiToken.created_at)
        )
    assert (await kiosk.get("/api/v1/auth/me")).status_code == 401


async def test_a_token_for_an_unknown_role_is_refused(
    tenants: tuple[Tenant, Tenant], client: Client
) -> None:
    admin = await client()
    await sign_in(admin, "admin@za")
    refused = await admin.post("/api/v1/tokens", json={"name": "x", "role": "emperor"})
    assert refused.status_code == 422


async def test_policy_changes_reach_another_process_and_lockouts_are_refused(
    tenants: tuple[Tenant, Tenant], client: Client
) -> None:
    admin = await client()
    await sign_in(admin, "admin@za")
    other_process = await client(policy_refresh_seconds=0)
    lazy_process = await client(policy_refresh_seconds=3600)
    for process in (other_process, lazy_process):
        await sign_in(process, "desk@za")
        assert (await process.get("/api/v1/policy")).status_code == 403

    current = (await admin.get("/api/v1/policy")).json()["policy"]
    changed = await admin.put(
        "/api/v1/policy", json={"policy": current + "g, desk@za, auditor, za\n"}
    )
    assert changed.status_code == 200, changed.text
    assert (await other_process.get("/api/v1/policy")).status_code == 200
    assert (await lazy_process.get("/api/v1/policy")).status_code == 403  # its copy is an hour old

    without_admin = current.replace("g, admin@za, tenant_admin, za\n", "")
    refused = await admin.put("/api/v1/policy", json={"policy": without_admin})
    assert refused.status_code == 409
    assert refused.json()["code"] == "policy_lockout"

    malformed = await admin.put("/api/v1/policy", json={"policy": current + "p, only, three\n"})
    assert malformed.status_code == 422
    assert malformed.json()["detail"]["errors"][0]["line"] == len(current.splitlines()) + 1


async def test_sessions_in_redis_are_shared_by_processes(
    tenants: tuple[Tenant, Tenant], client: Client
) -> None:
    redis_url = "redis://127.0.0.1:6379/15"
    first = await client(redis_url=redis_url)
    second = await client(redis_url=redis_url)
    token = await sign_in(first, "admin@za")
    second.headers["Authorization"] = f"Bearer {token}"
    assert (await second.get("/api/v1/auth/me")).json()["username"] == "admin@za"
    assert (await first.post("/api/v1/auth/logout")).status_code == 200
    assert (await second.get("/api/v1/auth/me")).status_code == 401


async def test_platform_operators_sign_in_on_the_base_domain_only(
    database: Database, tenants: tuple[Tenant, Tenant], client: Client
) -> None:
    from asan.access.staff import add_platform_operator

    assert await add_platform_operator(database, "ops@platform", PASSWORD)
    platform = await client("localhost")
    assert (await platform.get("/api/v1/platform/version")).status_code == 401
    token = await sign_in(platform, "ops@platform")
    me = (await platform.get("/api/v1/auth/me")).json()
    assert (me["kind"], me["roles"], me["tenant"]) == ("operator", ["platform_operator"], None)
    assert "platform.tenants" in me["permissions"]
    version = await platform.get("/api/v1/platform/version")
    assert version.status_code == 200, version.text
    assert "log_notifier" in [p["name"] for p in version.json()["plugins"]]

    # An operator's token is nothing on a tenant's host, and a tenant admin's nothing here.
    tenant_host = await client(app=platform._transport.app)  # type: ignore[attr-defined]
    tenant_host.headers["Authorization"] = f"Bearer {token}"
    assert (await tenant_host.get("/api/v1/policy")).status_code == 401
    admin_token = await sign_in(tenant_host, "admin@za")
    platform.headers["Authorization"] = f"Bearer {admin_token}"
    assert (await platform.get("/api/v1/platform/version")).status_code == 401
    refused = await platform.post(
        "/api/v1/auth/login", json={"username": "admin@za", "password": PASSWORD}
    )
    assert refused.status_code == 401


async def test_unknown_and_real_usernames_lock_alike(
    tenants: tuple[Tenant, Tenant], client: Client
) -> None:
    http = await client()
    for username in ("desk@za", "ghost@za"):
        answers = [
            (await http.post("/api/v1/auth/login", json={"username": username, "password": "x"}))
            for _ in range(6)
        ]
        assert [a.status_code for a in answers] == [401] * 5 + [423], username
        assert answers[-1].json()["detail"] == {}


async def test_nobody_issues_a_token_stronger_than_themselves(
    database: Database, tenants: tuple[Tenant, Tenant], client: Client
) -> None:
    admin = await client()
    await sign_in(admin, "admin@za")
    refused = await admin.post("/api/v1/tokens", json={"name": "x", "role": "platform_operator"})
    assert refused.status_code == 422  # not a role of any tenant

    current = (await admin.get("/api/v1/policy")).json()["policy"]
    grant = "p, kiosk_manager, za, tokens, manage\ng, desk@za, kiosk_manager, za\n"
    assert (await admin.put("/api/v1/policy", json={"policy": current + grant})).status_code == 200
    desk = await client(app=admin._transport.app)  # type: ignore[attr-defined]
    await sign_in(desk, "desk@za")
    stronger = await desk.post("/api/v1/tokens", json={"name": "y", "role": "tenant_admin"})
    assert stronger.status_code == 403
    same = await desk.post("/api/v1/tokens", json={"name": "z", "role": "operator"})
    assert same.status_code == 201, same.text
    machine = await client(app=admin._transport.app)  # type: ignore[attr-defined]
    machine.headers["Authorization"] = f"Bearer {same.json()['token']}"
    assert (
        await machine.post("/api/v1/tokens", json={"name": "w", "role": "operator"})
    ).status_code == 403


async def test_a_username_is_never_a_role_name(
    database: Database, tenants: tuple[Tenant, Tenant]
) -> None:
    from asan.errors import ValidationError

    with pytest.raises(ValidationError, match="name@place"):
        await add_staff(database, tenants[0], "tenant_admin")
