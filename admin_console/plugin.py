"""Wires the console into the app: its pages, its static files, its error pages.

Every console route passes the platform's permission guard (each declares
its permission, like the API's) and the console's CSRF guard; answers carry
the console's security headers. Errors render as pages (``errors``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from litestar import Router
from litestar.config.app import AppConfig
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.plugins import InitPluginProtocol
from litestar.static_files import create_static_files_router

from admin_console.errors import console_error
from admin_console.pages import (
    catalogue,
    connectors,
    home,
    people,
    platform,
    session,
    translations,
)
from admin_console.security import add_security_headers, add_static_headers, require_csrf
from asan.api.hosts import HOST_OPT, ServedOn, on
from asan.errors import AsanError

STATIC = Path(__file__).parent / "static"


def _by_host(handlers: Sequence[HTTPRouteHandler]) -> list[Router]:
    """One router per kind of host, so that the OPTIONS handlers Litestar adds inherit it."""
    groups: dict[ServedOn, list[HTTPRouteHandler]] = defaultdict(list)
    for handler in handlers:
        groups[ServedOn(handler.opt[HOST_OPT])].append(handler)
    return [
        Router("/", route_handlers=group, opt=on(host)) for host, group in sorted(groups.items())
    ]


class ConsolePlugin(InitPluginProtocol):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        pages = [
            *session.ROUTES,
            *home.ROUTES,
            *catalogue.ROUTES,
            *translations.ROUTES,
            *people.ROUTES,
            *connectors.ROUTES,
            *platform.ROUTES,
        ]
        app_config.route_handlers.append(
            Router(
                "/console",
                route_handlers=_by_host(pages),
                guards=[require_csrf],
                after_request=add_security_headers,
                exception_handlers={
                    AsanError: console_error,
                    HTTPException: console_error,
                    Exception: console_error,
                },
                include_in_schema=False,
            )
        )
        app_config.route_handlers.append(
            create_static_files_router(
                path="/console/static",
                directories=[STATIC],
                opt={**on(ServedOn.ANY), "permission": "public"},
                cache_control=CacheControlHeader(max_age=3600, public=True),
                after_request=add_static_headers,
                include_in_schema=False,
            )
        )
        return app_config
