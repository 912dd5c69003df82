"""Every error leaves the API in one JSON shape; this is the one place it is made.

``{"status": 404, "code": "tenant_not_found", "message": "...", "detail": {...},
"request_id": "..."}`` - ``code`` is stable for scripts, ``message`` is for
people, ``request_id`` ties the answer to the server's log lines.
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


def error_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    message: str,
    detail: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
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
        headers=headers,
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
    return error_response(
        request, status=exc.status, code=exc.code, message=exc.message, detail=exc.detail
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    detail: dict[str, Any] = {}
    if isinstance(exc, ValidationException) and exc.extra:
        detail["errors"] = exc.extra
    if status == 500:
        log.error("request failed", request_id=request_id_of(request.scope), exc_info=exc)
    message = exc.detail or HTTPStatus(status).phrase
    return error_response(
        request,
        status=status,
        code="validation_failed"
        if isinstance(exc, ValidationException)
        else _CODES_BY_STATUS.get(status, "error"),
        message=message,
        detail=detail,
        headers=dict(exc.headers or {}),
    )


def _unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.error("unexpected error", request_id=request_id_of(request.scope), exc_info=exc)
    return error_response(
        request,
        status=500,
        code="internal_error",
        message="The server failed to answer; the request id identifies the failure in its log.",
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
