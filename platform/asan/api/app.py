"""The application factory. It only lists plugins; each area wires itself."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import entry_points

import structlog
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.plugins import InitPluginProtocol, PluginProtocol

from asan.access.api import AccessPlugin
from asan.api.context import RequestContextPlugin
from asan.api.errors import ErrorsPlugin
from asan.api.health import HealthPlugin
from asan.api.metrics import MetricsPlugin
from asan.api.openapi import OpenAPIPlugin
from asan.api.platform import PlatformApiPlugin
from asan.api.tenant import TenantApiPlugin
from asan.applications.api import ApplicationsApiPlugin
from asan.applications.background import DeliveryLoopPlugin
from asan.catalogue.api import CatalogueApiPlugin
from asan.config import Settings, load_settings
from asan.db import Database
from asan.db.migrate import script_directory
from asan.db.roles import check_runtime_role
from asan.i18n import LocalePlugin
from asan.identity.api import IdentityPlugin
from asan.logging import configure_logging
from asan.models import metadata as _complete_metadata  # noqa: F401 - load every model
from asan.plugins import PluginHost, discover
from asan.tenancy import TenantRegistry
from asan.translations import UiTextOverridesPlugin

log = structlog.get_logger(__name__)


class CorePlugin(InitPluginProtocol):
    """Shared state (settings, database, tenant registry) and its lifecycle."""

    def __init__(self, settings: Settings, database: Database, *, owns_database: bool) -> None:
        self.settings = settings
        self.database = database
        self.owns_database = owns_database

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        scripts = script_directory(self.settings)  # read once: heads and every revision
        app_config.state = State(
            {
                "settings": self.settings,
                "database": self.database,
                "registry": TenantRegistry(
                    self.database,
                    base_domain=self.settings.base_domain,
                    cache_seconds=self.settings.tenant_cache_seconds,
                ),
                "schema_heads": tuple(scripts.get_heads()),
                "schema_revisions": frozenset(s.revision for s in scripts.walk_revisions()),
                "plugin_host": PluginHost(
                    discover(), secrets_dir=self.settings.secrets_dir, environ=None
                ),
            }
        )
        app_config.on_startup.append(self._check_database_role)
        app_config.on_shutdown.append(self._dispose)
        app_config.debug = False
        return app_config

    async def _check_database_role(self) -> None:
        await check_runtime_role(self.database, production=self.settings.is_production)

    async def _dispose(self, app: Litestar) -> None:
        await app.state.plugin_host.aclose()
        if self.owns_database:
            await self.database.dispose()


APP_EXTENSIONS_GROUP = "asan.app"
"""Entry points naming Litestar plugins that join every app: the admin console is one.

The core does not import them (dependencies point inward): a distribution
declares itself here, as first-party plugins do in ``asan.plugins``.
"""


def app_extensions() -> list[PluginProtocol]:
    return [
        entry.load()()
        for entry in sorted(entry_points(group=APP_EXTENSIONS_GROUP), key=lambda e: e.name)
    ]


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    plugins: Sequence[PluginProtocol] = (),
    deliver_in_process: bool = False,
) -> Litestar:
    """Build the app. Tests pass their own ``database``; extensions pass ``plugins``.

    ``deliver_in_process`` runs the delivery worker loop in this process (see
    ``asan.applications.background``); :func:`serving_app` decides it from settings.
    """
    settings = settings or load_settings()
    configure_logging(settings)
    owns_database = database is None
    if database is None:
        database = Database.from_url(settings.database.url, pool_size=settings.database.pool_size)
    return Litestar(
        logging_config=None,  # asan.logging owns logging; Litestar's default would replace it
        plugins=[
            CorePlugin(settings, database, owns_database=owns_database),
            RequestContextPlugin(),
            LocalePlugin(),
            UiTextOverridesPlugin(),
            ErrorsPlugin(),
            HealthPlugin(),
            MetricsPlugin(),
            OpenAPIPlugin(),
            TenantApiPlugin(),
            PlatformApiPlugin(),
            CatalogueApiPlugin(),
            IdentityPlugin(),
            AccessPlugin(),
            ApplicationsApiPlugin(),
            *([DeliveryLoopPlugin()] if deliver_in_process else []),
            *app_extensions(),
            *plugins,
        ],
    )


def serving_app() -> Litestar:
    """What ``asan serve`` runs: the app, with the delivery loop when settings ask for it."""
    settings = load_settings()
    return create_app(settings, deliver_in_process=settings.delivery.in_process)
