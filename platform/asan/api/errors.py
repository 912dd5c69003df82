"""Every error leaves the API in one JSON shape; this is the one place it is made.

``{"status": 404, "code": "tenant_not_found", "message": "...", "detail": {...},
"request_id": "..."}`` - ``code`` is stable for scripts, ``message`` is for
people, ``request_id`` ties the answer to the server's log lines.

``message`` is in the request's language, like every other UI string: the
locale the middleware chose, or, for errors raised before it ran (unknown
host, no such route), the same negotiation among the platform's locales.
Logs keep the English text.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.config.app import AppConfig
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins import InitPluginProtocol

from asan.api.context import request_id_of
from asan.errors import AsanError
from asan.i18n import N_, gettext, language_tag, ngettext, request_locale, use_locale

log = structlog.get_logger(__name__)

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}

_STANDARD_PHRASES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    406: N_("Not Acceptable"),
    409: N_("Conflict"),
    413: N_("Request Entity Too Large"),
    415: N_("Unsupported Media Type"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    503: N_("Service Unavailable"),
}
"""Litestar's errors carry the standard reason phrase unless they say more; these are
translated, a more specific text is passed on as it is."""


def error_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    message: str,
    detail: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    locale: str | None = None,
) -> Response[dict[str, Any]]:
    """The JSON error; ``locale`` is the language of ``message`` (default: the request's)."""
    return Response(
        {
            "status": status,
            "code": code,
            "message": message,
            "detail": detail or {},
            "request_id": request_id_of(request.scope),
        },
        status_code=status,
        media_type=MediaType.JSON,
        headers={
            **(headers or {}),
            "content-language": language_tag(locale or request_locale(request.scope)),
            "vary": "Accept-Language, Cookie",
        },
    )


def _domain_error(request: Request[Any, Any, Any], exc: AsanError) -> Response[dict[str, Any]]:
    if exc.status == 500:
        log.error(
            "request failed",
            code=exc.code,
            error=exc.message,
            request_id=request_id_of(request.scope),
            exc_info=exc,
        )
    locale = request_locale(request.scope)
    return error_response(
        request,
        status=exc.status,
        code=exc.code,
        message=exc.message_in(locale),
        detail=exc.detail_in(locale),
        locale=locale,
    )


def _http_message(exc: HTTPException) -> str:
    """The message of one of Litestar's errors, in the current locale where it is a standard one."""
    if isinstance(exc, ValidationException) and exc.extra:
        problems = len(exc.extra) if isinstance(exc.extra, list) else 1
        return ngettext(
            "The request is not valid: {n} problem was found.",
            "The request is not valid: {n} problems were found.",
            problems,
        )
    phrase = HTTPStatus(exc.status_code).phrase
    if exc.detail and exc.detail != phrase:
        return exc.detail
    return gettext(_STANDARD_PHRASES.get(exc.status_code, phrase))


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    detail: dict[str, Any] = {}
    if isinstance(exc, ValidationException) and exc.extra:
        detail["errors"] = exc.extra
    if status == 500:
        log.error("request failed", request_id=request_id_of(request.scope), exc_info=exc)
    locale = request_locale(request.scope)
    with use_locale(locale):
        message = _http_message(exc)
    return error_response(
        request,
        status=status,
        code="validation_failed"
        if isinstance(exc, ValidationException)
        else _CODES_BY_STATUS.get(status, "error"),
        message=message,
        detail=detail,
        headers=dict(exc.headers or {}),
        locale=locale,
    )


def _unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.error("unexpected error", request_id=request_id_of(request.scope), exc_info=exc)
    locale = request_locale(request.scope)
    with use_locale(locale):
        message = gettext(
            "The server failed to answer; the request id identifies the failure in its log."
        )
    return error_response(
        request, status=500, code="internal_error", message=message, locale=locale
    )


class ErrorsPlugin(InitPluginProtocol):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.exception_handlers.update(
            {
                AsanError: _domain_error,
                HTTPException: _http_error,
                Exception: _unexpected_error,
            }
        )
        return app_config
