"""Compiled catalogues for the i18n tests, and an app with routes that show the locale.

The ``.po`` files of the checkout are compiled once per run into a copy
(``ASAN_I18N_DIR`` points there for each test), so these tests need no
``make`` step and never write into the working tree.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, Router, get
from litestar.config.app import AppConfig
from litestar.params import FromQuery
from litestar.plugins import InitPluginProtocol

from asan.api import create_app
from asan.api.hosts import ServedOn, on
from asan.config import Settings
from asan.db import Database
from asan.errors import TenantNotFoundError
from asan.i18n import N_, compile_catalogues, current_locale, gettext
from tests.support.databases import REPO_ROOT
from tests.support.probe import ProbePlugin

CHECKOUT_I18N = REPO_ROOT / "i18n"
LOCALES = ("ar", "az", "en", "et", "fr", "ru")


def copy_catalogues(target: Path) -> Path:
    """The checkout's catalogue sources (not its compiled files) under ``target``."""
    shutil.copytree(CHECKOUT_I18N, target, ignore=shutil.ignore_patterns("*.mo"))
    return target


@pytest.fixture(scope="session")
def compiled_i18n(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = copy_catalogues(tmp_path_factory.mktemp("i18n") / "i18n")
    compile_catalogues(directory)
    return directory


@pytest.fixture(autouse=True)
def _use_compiled_catalogues(compiled_i18n: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ASAN_I18N_DIR", str(compiled_i18n))
    return compiled_i18n


class LocaleProbePlugin(InitPluginProtocol):
    """Routes that show what a handler sees of the locale, and fail in its language."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        @get("/echo", sync_to_thread=False)
        def echo() -> dict[str, Any]:
            return {"locale": current_locale(), "not_found": gettext("Not Found")}

        @get("/count", sync_to_thread=False)
        def count(limit: FromQuery[int]) -> dict[str, int]:
            return {"limit": limit}

        @get("/missing", sync_to_thread=False)
        def missing() -> None:
            raise TenantNotFoundError(N_("no tenant with code {code!r}"), code="zz")

        app_config.route_handlers += [
            Router(
                "/api/v1/_locale",
                route_handlers=[echo, count, missing],
                opt={**on(ServedOn.TENANT), "permission": "public"},
            ),
            Router(
                "/api/v1/platform/_locale",
                route_handlers=[echo],
                opt={**on(ServedOn.PLATFORM), "permission": "public"},
            ),
        ]
        return app_config


@pytest.fixture
def app(settings: Settings, database: Database) -> Litestar:
    """The app as ``create_app`` builds it (``LocalePlugin`` included), with probe routes."""
    return create_app(settings, database=database, plugins=[ProbePlugin(), LocaleProbePlugin()])
