"""CSRF tokens, and the security headers every console answer carries.

The CSRF token is an HMAC, under the instance's secret key, of what ties a
form to one browser: the session cookie once signed in, else an anonymous
cookie set with the sign-in form. A page of another site can neither read
those HTTP-only cookies nor compute the token, and a cookie planted from a
sibling sub-domain gives no token either, because the key is the server's.
Every unsafe request to the console must carry it (form field ``csrf_token``,
or the ``X-CSRF-Token`` header that htmx sends), and its ``Origin``, when the
browser sends one, must be the host it was sent to.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers import BaseRouteHandler

from asan.config import Settings
from asan.i18n import N_
from asan.identity.api import SESSION_COOKIE
from asan.identity.errors import ForbiddenError

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
ANONYMOUS_COOKIE = "asan_console_anon"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UPLOAD_LIMIT_BYTES = 5 * 1024 * 1024
"""Bundle and catalogue files uploaded to the console (a country's catalogue is ~100 kB)."""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
"""No inline script, no inline style, nothing from another origin; no framing."""


class CsrfRefusedError(ForbiddenError):
    code = "csrf_refused"


def _binding(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    return connection.cookies.get(SESSION_COOKIE) or connection.cookies.get(ANONYMOUS_COOKIE)


def csrf_token_for(settings: Settings, binding: str) -> str:
    return hmac.new(
        settings.secret_key.encode(), f"console-csrf|{binding}".encode(), hashlib.sha256
    ).hexdigest()


def csrf_token(request: Request[Any, Any, Any]) -> str:
    """The token for forms on this page; empty when the browser holds no cookie to bind to."""
    binding = _binding(request) or request.scope["state"].get("console_anonymous")
    return csrf_token_for(request.app.state.settings, binding) if binding else ""


def anonymous_cookie(request: Request[Any, Any, Any]) -> Cookie | None:
    """A random cookie for the sign-in form's token, when the browser has neither cookie."""
    if _binding(request):
        return None
    value = secrets.token_urlsafe(32)
    request.scope["state"]["console_anonymous"] = value
    return secure_cookie(request, ANONYMOUS_COOKIE, value, max_age=3600, path="/console")


def secure_cookie(
    request: Request[Any, Any, Any],
    key: str,
    value: str,
    *,
    max_age: int | None,
    path: str = "/",
    samesite: str = "lax",
) -> Cookie:
    """HTTP-only, ``Secure`` in production (HTTPS only), ``SameSite`` lax unless told."""
    settings: Settings = request.app.state.settings
    return Cookie(
        key=key,
        value=value,
        max_age=max_age,
        path=path,
        httponly=True,
        secure=settings.is_production,
        samesite=samesite,  # type: ignore[arg-type]
    )


def _same_origin(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    origin = connection.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc.lower() == connection.headers.get("host", "").lower()


async def require_csrf(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Guard for every console route: unsafe methods need a valid token and our own origin."""
    if connection.scope.get("method", "GET") in _SAFE_METHODS:
        return
    if not _same_origin(connection):
        raise CsrfRefusedError(N_("this form was sent from another site and is refused"))
    binding = _binding(connection)
    sent = connection.headers.get(CSRF_HEADER)
    if sent is None:
        form = await Request(connection.scope, connection.receive).form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = csrf_token_for(connection.app.state.settings, binding) if binding else None
    if not sent or expected is None or not hmac.compare_digest(sent, expected):
        raise CsrfRefusedError(
            N_("this form has expired or did not come from this console; reload the page")
        )


def add_security_headers(response: Response[Any]) -> Response[Any]:
    """``after_request`` of console pages: CSP, no framing, no caching of what staff saw."""
    response.headers.update(
        {
            "content-security-policy": CONTENT_SECURITY_POLICY,
            "x-frame-options": "DENY",
            "x-content-type-options": "nosniff",
            "referrer-policy": "same-origin",
            "cache-control": "no-store",
        }
    )
    return response


def add_static_headers(response: Response[Any]) -> Response[Any]:
    """Static files may be cached, but are never sniffed into another type."""
    response.headers["x-content-type-options"] = "nosniff"
    return response
