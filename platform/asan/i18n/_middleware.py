"""The request's locale: negotiated once, made current for everything below it.

``LocalePlugin`` adds :class:`LocaleMiddleware` after the request-context
middleware, which has put the request's tenant in the scope by then. A
tenant's request is answered in one of the tenant's enabled locales (its
default when nothing else fits); a request on the platform's own host in
any locale the platform has a catalogue for (English by default).

Every response says which language it is in (``Content-Language``) and
what that depended on (``Vary: Accept-Language, Cookie``), so that caches
keep one copy per language rather than serve one person's language to all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from litestar.config.app import AppConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.plugins import InitPluginProtocol
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from asan.i18n._catalogues import catalogued_locales
from asan.i18n._locale import (
    SOURCE_LOCALE,
    current_locale,
    language_tag,
    locale_is_set,
    use_locale,
)
from asan.i18n._negotiation import negotiate_scope_locale

if TYPE_CHECKING:
    from asan.tenancy import TenantRecord

TENANT_STATE_KEY = "asan_tenant"
"""Where ``asan.api.context.RequestContextMiddleware`` leaves the request's TenantRecord.

Not imported from there: ``asan.api`` builds on this package, not the reverse
(a test checks that both agree)."""

VARY_ON = ("Accept-Language", "Cookie")


def offered_locales(scope: Scope) -> tuple[Sequence[str], str]:
    """The locales a request may be answered in, and the default among them."""
    tenant: TenantRecord | None = scope.get("state", {}).get(TENANT_STATE_KEY)
    if tenant is not None:
        return tenant.locales, tenant.default_locale
    return catalogued_locales(), SOURCE_LOCALE


def request_locale(scope: Scope) -> str:
    """The locale to answer a request in, also where the middleware did not run.

    Errors raised before it (unknown host, no such route) are rendered outside
    it; they get the same negotiation, among the locales offered there.
    """
    if locale_is_set():
        return current_locale()
    return negotiate_scope_locale(scope, *offered_locales(scope))


def add_language_headers(message: Message, locale: str) -> None:
    """Set ``Content-Language`` and add our ``Vary`` tokens to a response start message."""
    headers = MutableScopeHeaders.from_message(message)
    headers["content-language"] = language_tag(locale)
    present = [token.strip() for value in headers.getall("vary", []) for token in value.split(",")]
    if "*" in present:
        return
    missing = [token for token in VARY_ON if token.lower() not in {p.lower() for p in present}]
    if missing:
        headers["vary"] = ", ".join([token for token in present if token] + missing)


class LocaleMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        locale = negotiate_scope_locale(scope, *offered_locales(scope))

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_language_headers(message, locale)
            await send(message)

        with use_locale(locale):
            await self.app(scope, receive, send_with_language)


class LocalePlugin(InitPluginProtocol):
    """Locale negotiation for every route.

    Its middleware is appended, so it runs inside ``RequestContextPlugin``'s
    (which puts itself first) whatever the order of the plugins. Installing
    it twice is harmless: the second one finds the middleware there already.
    """

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        middleware: list[Any] = list(app_config.middleware)
        if LocaleMiddleware not in middleware:
            app_config.middleware.append(LocaleMiddleware)
        return app_config
