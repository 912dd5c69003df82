"""Sign-in routes, API tokens, and the step that finds a request's principal.

A request may carry a bearer token (API clients, machines) or the session
cookie (the console). Both are looked up in the realm of the tenant whose
host the request came to, so nothing issued on one tenant's host works on
another's.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, Response, Router, delete, get, post
from litestar.config.app import AppConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.plugins import InitPluginProtocol
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from asan.api.context import request_db_session
from asan.api.hosts import ServedOn, on
from asan.config import Settings
from asan.db import Database, PlatformScope, TenantScope, mostly_reading
from asan.i18n import N_
from asan.identity.errors import (
    AccountLockedError,
    NotAuthenticatedError,
    TooManyAttemptsError,
)
from asan.identity.service import (
    IdentityService,
    Login,
    Principal,
)
from asan.identity.sessions import MemorySessionStore, RedisSessionStore, SessionStore
from asan.tenancy import TenantRecord

SESSION_COOKIE = "asan_session"
_PRINCIPAL_KEY = "asan_principal"


class LoginBody(msgspec.Struct):
    username: str
    password: str


class TokenBody(msgspec.Struct):
    name: str
    role: str
    expires_in_days: int = 90


def _credential(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    authorization = connection.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return connection.cookies.get(SESSION_COOKIE)


async def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The request's principal, found once per request (None: nobody signed in)."""
    state = connection.scope["state"]
    if _PRINCIPAL_KEY in state:
        return state[_PRINCIPAL_KEY]  # type: ignore[no-any-return]
    tenant: TenantRecord | None = state.get("asan_tenant")
    credential = _credential(connection)
    principal = None
    store: SessionStore = connection.app.state.session_store
    if credential and tenant is not None:
        session = request_db_session(connection)  # type: ignore[arg-type]
        principal = await IdentityService(session, tenant_id=tenant.id, store=store).principal_for(
            credential
        )
    elif credential:
        # The base domain: platform operators, read in a (logged) platform scope.
        database: Database = connection.app.state.database
        with mostly_reading():  # a read beside the request's own transaction
            async with database.transaction(PlatformScope(reason="platform operator")) as session:
                principal = await IdentityService(
                    session, tenant_id=None, store=store
                ).principal_for(credential)
    state[_PRINCIPAL_KEY] = principal
    return principal


def _tenant(request: Request[Any, Any, Any]) -> TenantRecord | None:
    """The request's tenant, or None on the base domain (sign-in answers on both)."""
    tenant: TenantRecord | None = request.scope["state"].get("asan_tenant")
    return tenant


async def signed_in(request: Request[Any, Any, Any]) -> Principal:
    principal = await principal_of(request)
    if principal is None:
        raise NotAuthenticatedError(N_("sign in first"))
    return principal


async def start_session(
    state: State, tenant: TenantRecord | None, username: str, password: str, *, client: str
) -> Login:
    """Sign in on a tenant's host (its staff) or the base domain (platform operators).

    Shared by the API's ``/login`` and the console's sign-in form. Runs in its
    own transaction: a failed attempt must be counted (lockout) although the
    answer is an error, which rolls the request's own transaction back.
    """
    database: Database = state.database
    failure: Exception | None = None
    scope: TenantScope | PlatformScope = (
        TenantScope(tenant.id, tenant.code)
        if tenant is not None
        else PlatformScope(reason="platform operator sign-in")
    )
    async with database.transaction(scope) as session:
        service = IdentityService(
            session, tenant_id=tenant.id if tenant else None, store=state.session_store
        )
        try:
            result = await service.log_in(username, password, client=client)
        except (NotAuthenticatedError, AccountLockedError, TooManyAttemptsError) as exc:
            failure = exc
    if failure is not None:
        raise failure
    return result


def session_cookie(result: Login, settings: Settings) -> Cookie:
    """The session as a cookie: HTTP-only, ``Secure`` in production, ``SameSite=Lax``."""
    return Cookie(
        key=SESSION_COOKIE,
        value=result.token,
        httponly=True,
        secure=settings.is_production,
        samesite="lax",
        path="/",
        expires=int(result.expires_at.timestamp()),
    )


async def end_session(request: Request[Any, Any, Any], state: State) -> None:
    """Forget the request's session (its token stops working at once)."""
    credential = _credential(request)
    tenant = _tenant(request)
    if credential:
        await state.session_store.delete(str(tenant.id) if tenant else "platform", credential)


@post("/login", status_code=HTTP_200_OK, opt={"permission": "public"})
async def login(
    request: Request[Any, Any, Any],
    data: JSONBody[LoginBody],
    state: State,
) -> Response[dict[str, str]]:
    """A bearer token for API clients, and the same session as a cookie for the console.

    On a tenant's host for its staff; on the base domain for platform operators.
    """
    client = request.client.host if request.client else "unknown"
    result = await start_session(
        state, _tenant(request), data.username, data.password, client=client
    )
    return Response(
        {"token": result.token, "expires_at": result.expires_at.isoformat()},
        cookies=[session_cookie(result, state.settings)],
    )


@post("/logout", status_code=HTTP_200_OK, opt={"permission": "public"})
async def logout(request: Request[Any, Any, Any], state: State) -> Response[dict[str, bool]]:
    await end_session(request, state)
    response: Response[dict[str, bool]] = Response({"signed_out": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@get("/me", opt={"permission": "public"})
async def me(request: Request[Any, Any, Any], state: State) -> dict[str, Any]:
    """Who is signed in, with their roles and permissions here (a tenant, or the platform)."""
    principal = await signed_in(request)
    tenant = _tenant(request)
    roles, permissions = await state.authorizer.roles_and_permissions(tenant, principal)
    return {
        "kind": principal.kind,
        "username": principal.name,
        "tenant": tenant.code if tenant else None,
        "roles": sorted(roles),
        "permissions": sorted(permissions),
    }


@post("/tokens", status_code=HTTP_201_CREATED, opt={"permission": "tokens.manage"})
async def create_token(
    request: Request[Any, Any, Any],
    data: JSONBody[TokenBody],
    state: State,
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    """The token is in this answer only: it is stored as a hash."""
    principal = await signed_in(request)
    service = IdentityService(db_session, tenant_id=tenant.id, store=state.session_store)
    token, row = await service.issue_token(
        tenant=tenant,
        issuer=principal,
        name=data.name,
        role=data.role,
        days=data.expires_in_days,
        rules=state.authorizer,
    )
    return {
        "id": str(row.id),
        "token": token,
        "name": row.name,
        "role": row.role,
        "expires_at": row.expires_at.isoformat(),
    }


@get("/tokens", opt={"permission": "tokens.manage"})
async def list_tokens(
    state: State, db_session: NamedDependency[AsyncSession], tenant: NamedDependency[TenantRecord]
) -> dict[str, Any]:
    service = IdentityService(db_session, tenant_id=tenant.id, store=state.session_store)
    return {
        "items": [
            {
                "id": str(t.id),
                "name": t.name,
                "role": t.role,
                "created_by": t.created_by,
                "expires_at": t.expires_at.isoformat(),
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in await service.tokens()
        ]
    }


@delete("/tokens/{token_id:uuid}", status_code=HTTP_200_OK, opt={"permission": "tokens.manage"})
async def revoke_token(
    request: Request[Any, Any, Any],
    token_id: FromPath[uuid.UUID],
    state: State,
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    principal = await signed_in(request)
    service = IdentityService(db_session, tenant_id=tenant.id, store=state.session_store)
    row = await service.withdraw_token(token_id, revoked_by=principal.name)
    return {"id": str(row.id), "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None}


class IdentityPlugin(InitPluginProtocol):
    """Sign-in routes and the session store (Redis when ASAN_REDIS_URL is set)."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        settings: Settings = app_config.state["settings"]
        store: SessionStore = (
            RedisSessionStore(settings.redis_url) if settings.redis_url else MemorySessionStore()
        )
        app_config.state["session_store"] = store
        app_config.route_handlers.append(
            Router(
                "/api/v1",
                route_handlers=[
                    Router(
                        "/auth",
                        route_handlers=[login, logout, me],
                        opt=on(ServedOn.TENANT_OR_PLATFORM),
                    ),
                    Router(
                        "/",
                        route_handlers=[create_token, list_tokens, revoke_token],
                        opt=on(ServedOn.TENANT),
                    ),
                ],
                tags=["identity"],
            )
        )
        return app_config
