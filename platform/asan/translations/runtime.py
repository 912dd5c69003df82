"""Tenants' own wording at request time: a per-process cache and the middleware using it.

Each process keeps every tenant's overrides (all its locales) as one
immutable mapping, keyed by the tenant's id. A change made in this process
drops the tenant's copy once it commits; other processes check the tenant's
revision (``ui_text_revisions``, bumped with every change) at most every
``refresh_seconds`` (the policy's refresh setting: overrides, like roles, are
a tenant admin's change that should show within a second), and read the rows
again only when it moved.

The middleware makes the request's tenant's mapping current
(``asan.i18n.use_overrides``) around the handler, so that ``gettext`` in
Python and ``_()`` in templates find it; a request without a tenant (the base
domain) and every request after this one see none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from asan.config import Settings
from asan.db import Database
from asan.i18n import NO_OVERRIDES, Overrides, use_overrides
from asan.tenancy import TenantRecord
from asan.tenancy.cache import TenantCache
from asan.translations.models import UiTextOverride, UiTextRevision

STATE_KEY = "ui_text_overrides"
"""Where the app keeps its :class:`OverrideCache` (``app.state``)."""

_TENANT_STATE_KEY = "asan_tenant"
"""Where ``asan.api.context`` leaves the request's TenantRecord."""


@dataclass(frozen=True, slots=True)
class _Revised:
    """A tenant's overrides as read at ``revision`` of its ``ui_text_revisions`` row."""

    revision: int
    overrides: Overrides


async def _read_overrides(
    session: AsyncSession, tenant: TenantRecord, kept: _Revised | None
) -> _Revised:
    """All the tenant's overrides, every locale: ``kept`` when it is at the current revision."""
    # The revision first: rows read after it are at least that new.
    revision = (
        await session.scalar(
            select(UiTextRevision.revision).where(UiTextRevision.tenant_id == tenant.id)
        )
        or 0
    )
    if kept is not None and kept.revision == revision:
        return kept
    by_locale: dict[str, dict[str, str]] = {}
    rows = await session.execute(
        select(UiTextOverride.locale, UiTextOverride.message_id, UiTextOverride.text).where(
            UiTextOverride.tenant_id == tenant.id
        )
    )
    for locale, message_id, text in rows.tuples():
        by_locale.setdefault(locale, {})[message_id] = text
    if not by_locale:
        return _Revised(revision, NO_OVERRIDES)
    return _Revised(
        revision,
        MappingProxyType({locale: MappingProxyType(texts) for locale, texts in by_locale.items()}),
    )


class OverrideCache:
    """Each tenant's overrides in this process, read again only when their revision moved."""

    def __init__(self, database: Database, *, refresh_seconds: float) -> None:
        self._cache = TenantCache(database, refresh_seconds=refresh_seconds, load=_read_overrides)

    def forget(self, tenant_id: uuid.UUID) -> None:
        """Drop the tenant's copy (once a change made in this process commits)."""
        self._cache.forget(tenant_id)

    async def get(self, tenant: TenantRecord) -> Overrides:
        return (await self._cache.get(tenant)).overrides


def override_cache(app: Litestar) -> OverrideCache:
    cache: OverrideCache = app.state[STATE_KEY]
    return cache


class OverridesMiddleware:
    """Around each tenant request: that tenant's wording, and only for this request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tenant: TenantRecord | None = (
            scope.get("state", {}).get(_TENANT_STATE_KEY)
            if scope["type"] in ("http", "websocket")
            else None
        )
        if tenant is None:  # none are current: the context variable's default
            await self.app(scope, receive, send)
            return
        overrides = await override_cache(Litestar.from_scope(scope)).get(tenant)
        with use_overrides(overrides):
            await self.app(scope, receive, send)


class UiTextOverridesPlugin(InitPluginProtocol):
    """The per-process cache of tenants' overrides and the middleware applying them.

    The middleware is appended: it runs inside the request-context middleware
    (which puts itself first and finds the tenant), whatever the plugins' order.
    """

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        settings: Settings = app_config.state["settings"]
        app_config.state[STATE_KEY] = OverrideCache(
            app_config.state["database"], refresh_seconds=settings.policy_refresh_seconds
        )
        middleware: list[Any] = list(app_config.middleware)
        if OverridesMiddleware not in middleware:
            app_config.middleware.append(OverridesMiddleware)
        return app_config
