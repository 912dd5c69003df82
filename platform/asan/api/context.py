"""The request pipeline: request id, then host -> tenant, then one transaction.

Runs for every matched route, in this order:

1. a request id (the caller's ``X-Request-ID`` if it is sane, else a new one),
   bound to the log context with the tenant;
2. the host: the base domain serves platform routes, ``<code>.<base>`` or a
   tenant's own host name serves that tenant's routes (404 for an unknown
   host or a route of the other kind, 503 for a suspended tenant);
3. the tenant scope, made current for the handler, so that the request's
   database session is bound to it;
4. one database transaction, committed when the response starts with a
   status below 400 and rolled back otherwise, or when the request task is
   cancelled (server shutdown, timeouts). The commit or rollback runs to its
   end even under cancellation, so no connection is left checked out; a
   commit that fails replaces the response with a JSON 500.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Coroutine
from contextlib import ExitStack
from typing import Any

import msgspec
import structlog
from litestar import Litestar, Request
from litestar.config.app import AppConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.di import Provide
from litestar.plugins import InitPluginProtocol
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from asan.api.hosts import HOST_OPT, ServedOn
from asan.api.metrics import Metrics
from asan.db import Database, TenantScope, mostly_reading, use_scope
from asan.errors import AsanError, TenantNotFoundError, TenantSuspendedError, WrongHostError
from asan.i18n import N_, current_locale, gettext, language_tag, locale_is_set
from asan.tenancy import TenantRecord, TenantRegistry
from asan.tenancy.hosts import HostKind, classify_host, normalise_host

REQUEST_ID_HEADER = "x-request-id"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_SESSION_KEY = "asan_db_session"
_TENANT_KEY = "asan_tenant"
_REQUEST_ID_KEY = "asan_request_id"
_READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

log = structlog.get_logger(__name__)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def request_id_of(scope: Scope) -> str:
    """The request's id, made on first use so that every response can carry one."""
    state = scope.setdefault("state", {})
    request_id = state.get(_REQUEST_ID_KEY)
    if request_id is None:
        incoming = _header(scope, REQUEST_ID_HEADER.encode())
        request_id = incoming if incoming and _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        state[_REQUEST_ID_KEY] = request_id
    return str(request_id)


async def add_request_id_header(message: Message, scope: Scope) -> None:
    """``before_send`` hook: runs for every response, unmatched routes included."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = request_id_of(scope)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = []
        label = "-"

        async def send_noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        with ExitStack() as stack:
            stack.enter_context(
                structlog.contextvars.bound_contextvars(request_id=request_id_of(scope), tenant="-")
            )
            if scope.get("method") in _READING_METHODS and not scope["route_handler"].opt.get(
                "writes"
            ):
                stack.enter_context(mostly_reading())
            try:
                tenant = await self._resolve(scope)
                if tenant is not None:
                    label = tenant.code
                    scope["state"][_TENANT_KEY] = tenant
                    stack.enter_context(use_scope(TenantScope(tenant.id, tenant.code)))
                    stack.enter_context(structlog.contextvars.bound_contextvars(tenant=tenant.code))
                await self._run_in_transaction(scope, receive, send_noting_status)
            except AsanError as exc:  # refused before the handler: answered by the error handler
                status.append(exc.status)
                raise
            finally:
                elapsed = time.perf_counter() - started
                log.info(
                    "request",
                    method=scope.get("method"),
                    path=scope["path"],
                    status=status[0] if status else None,
                    duration_ms=round(elapsed * 1000, 2),
                )
                metrics: Metrics | None = Litestar.from_scope(scope).state.get("metrics")
                if metrics is not None:
                    metrics.observe(
                        label,
                        str(scope.get("path_template", "?")),
                        str(scope.get("method", "?")),
                        status[0] if status else 500,
                        elapsed,
                    )

    async def _resolve(self, scope: Scope) -> TenantRecord | None:
        served_on = scope["route_handler"].opt.get(HOST_OPT)
        if served_on is None:
            raise RuntimeError(f"route {scope['path']} declares no host (opt={{'host': ...}})")
        if served_on == ServedOn.ANY:
            return None
        app = Litestar.from_scope(scope)
        registry: TenantRegistry = app.state.registry
        host = normalise_host(_header(scope, b"host") or "")
        kind, _ = classify_host(host, registry.base_domain)
        if kind is HostKind.PLATFORM:
            if served_on not in (ServedOn.PLATFORM, ServedOn.TENANT_OR_PLATFORM):
                raise WrongHostError(
                    N_("{path} is served on tenant hosts, not on the base domain {host!r}"),
                    path=scope["path"],
                    host=host,
                    detail={"host": host},
                )
            return None
        tenant = await registry.resolve_host(host)
        if tenant is None:
            raise TenantNotFoundError(
                N_("no tenant is served at host {host!r}"), host=host, detail={"host": host}
            )
        if served_on not in (ServedOn.TENANT, ServedOn.TENANT_OR_PLATFORM):
            raise WrongHostError(
                N_("{path} is served on the base domain, not on tenant hosts"),
                path=scope["path"],
                detail={"host": host},
            )
        if not tenant.is_active:
            raise TenantSuspendedError(
                N_("the service of tenant {tenant!r} is suspended"),
                tenant=tenant.code,
                detail={"tenant": tenant.code},
            )
        return tenant

    async def _run_in_transaction(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: dict[str, Any] = scope["state"]
        failed_commit = False

        async def finish(commit: bool) -> None:
            session: AsyncSession | None = state.pop(_SESSION_KEY, None)
            if session is None:
                return

            async def end() -> None:
                try:
                    if commit:
                        await session.commit()
                    else:
                        await session.rollback()
                finally:
                    await session.close()

            await complete_despite_cancellation(end())

        async def send_after_transaction(message: Message) -> None:
            nonlocal failed_commit
            if failed_commit:
                return  # the handler's body belongs to a response that was replaced
            if message["type"] == "http.response.start":
                try:
                    await finish(commit=message["status"] < 400)
                except Exception:
                    # Too late for the exception handlers: the handler has returned.
                    log.exception("commit failed")
                    failed_commit = True
                    await _send_commit_failure(scope, send)
                    return
            await send(message)

        try:
            await self.app(scope, receive, send_after_transaction)
        finally:
            await finish(commit=False)


async def complete_despite_cancellation(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` to its end even if the calling task is cancelled, then re-raise.

    A cancelled request must still give its connection back cleanly; asyncio's
    cancellation (how uvicorn cancels) would otherwise interrupt the rollback.
    """
    task = asyncio.ensure_future(work)
    cancelled = False
    while True:
        try:
            await asyncio.shield(task)
            break
        except asyncio.CancelledError:
            if task.done():
                raise
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError


async def _send_commit_failure(scope: Scope, send: Send) -> None:
    # In the request's locale: this runs below the locale middleware, on the handler's send.
    body = msgspec.json.encode(
        {
            "status": 500,
            "code": "commit_failed",
            "message": gettext("The change could not be saved and nothing was written; try again."),
            "detail": {},
            "request_id": request_id_of(scope),
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (REQUEST_ID_HEADER.encode(), request_id_of(scope).encode()),
                *_language_headers(),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _language_headers() -> list[tuple[bytes, bytes]]:
    if not locale_is_set():
        return []
    return [
        (b"content-language", language_tag(current_locale()).encode()),
        (b"vary", b"Accept-Language, Cookie"),
    ]


def current_tenant(request: Request[Any, Any, Any]) -> TenantRecord:
    """Dependency: the tenant the middleware resolved (tenant-host routes only)."""
    tenant: TenantRecord | None = request.scope["state"].get(_TENANT_KEY)
    if tenant is None:
        raise WrongHostError(N_("this route is served on tenant hosts only"))
    return tenant


def request_db_session(request: Request[Any, Any, Any]) -> AsyncSession:
    """Dependency: the request's session, bound to its tenant; made on first use."""
    state = request.scope["state"]
    session: AsyncSession | None = state.get(_SESSION_KEY)
    if session is None:
        database: Database = request.app.state.database
        session = database.session()
        state[_SESSION_KEY] = session
    return session


class RequestContextPlugin(InitPluginProtocol):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.middleware.insert(0, RequestContextMiddleware)
        app_config.before_send.append(add_request_id_header)
        app_config.dependencies.update(
            {
                "tenant": Provide(current_tenant, sync_to_thread=False),
                "db_session": Provide(request_db_session, sync_to_thread=False),
            }
        )
        return app_config
