"""OpenAPI document and its browsable page, with assets served by us (no CDN)."""

from __future__ import annotations

from litestar import Router
from litestar.config.app import AppConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins import InitPluginProtocol
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

import asan
from asan.api.hosts import ServedOn, on

SCHEMA_PATH = "/schema"
ASSETS_PATH = f"{SCHEMA_PATH}/assets"


class OpenAPIPlugin(InitPluginProtocol):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        swagger = SwaggerRenderPlugin(
            path=["/", "/swagger"],
            js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            css_url=f"{ASSETS_PATH}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
        )
        app_config.openapi_config = OpenAPIConfig(
            title="ASAN Platform API",
            version=asan.__version__,
            description=(
                "One-stop shop for public services. Tenant routes answer on a country's host "
                "(`<code>.<base domain>` or its own host names); platform routes on the base "
                "domain."
            ),
            path=SCHEMA_PATH,
            render_plugins=[swagger],
            openapi_router=Router(
                path=SCHEMA_PATH,
                route_handlers=[],
                opt={**on(ServedOn.ANY), "permission": "public"},
            ),
        )
        app_config.route_handlers.append(
            create_static_files_router(
                path=ASSETS_PATH,
                directories=[swagger_ui_path],
                opt={**on(ServedOn.ANY), "permission": "public"},
                include_in_schema=False,
            )
        )
        return app_config
