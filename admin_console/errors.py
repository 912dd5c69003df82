"""Errors on console pages become pages, never JSON.

Nobody signed in: back to the sign-in form, with the page to return to.
Anything else: an error page in the reader's language, with the status the
JSON API would answer (so the request's transaction rolls back just the same).
Forms that can show a problem next to its field catch it themselves first.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from admin_console.rendering import ENVIRONMENT, context_for, known_viewer, redirect
from admin_console.security import add_security_headers
from asan.errors import AsanError
from asan.i18n import current_locale, gettext
from asan.identity.errors import NotAuthenticatedError

log = structlog.get_logger(__name__)


def _page(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any]:
    try:
        context = context_for(request, known_viewer(request))
    except Exception:  # the error page must render even when its context cannot be built
        log.exception("console error page without its context")
        context = {
            "tenant": None,
            "principal": None,
            "can": lambda _: False,
            "csrf_token": "",
            "locales": (),
            "locale": current_locale(),
            "here": "/console/",
            "notice": None,
        }
    html = ENVIRONMENT.get_template("console/error.html").render(
        {**context, "status": status, "message": message}
    )
    return add_security_headers(Response(html, status_code=status, media_type=MediaType.HTML))


def console_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Exception handler of every console route (Litestar calls these synchronously)."""
    if isinstance(exc, NotAuthenticatedError) and request.method in ("GET", "HEAD"):
        return redirect(request, "/console/sign-in?next=" + quote(request.url.path, safe="/"))
    if isinstance(exc, AsanError):
        status, message = exc.status, exc.message_in(current_locale())
    elif isinstance(exc, HTTPException):
        status, message = exc.status_code, gettext("This request could not be handled.")
    else:
        log.exception("console page failed", exc_info=exc)
        status = HTTP_500_INTERNAL_SERVER_ERROR
        message = gettext("Something went wrong on our side; the change was not saved.")
    return _page(request, status, message)
