"""Local stand-ins for agencies, so the demo delivers applications end to end (dev only).

The demo tenants' connectors point at loopback addresses (``127.0.0.1:8701``
for Morocco's webhooks, ``:8702`` for Estonia's X-Road security server);
``asan demo`` starts the connector plugin's own stand-in there
(``PluginSpec.stand_in``) and makes any missing ``secret:`` file with a
random value. A stand-in refuses non-loopback addresses, so it can never
pose as a real agency.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import structlog

from asan.plugins._discovery import PluginCatalogue
from asan.plugins._settings import resolve_settings
from asan.plugins._tenant import read_tenant_plugins
from asan.tenancy.records import TenantRecord

log = structlog.get_logger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def make_missing_secrets(
    tenants: Iterable[TenantRecord], catalogue: PluginCatalogue, secrets_dir: Path
) -> list[Path]:
    """Random values for ``secret:NAME/KEY`` references with no file yet; the files made."""
    made: list[Path] = []
    for tenant in tenants:
        plugins, _ = read_tenant_plugins(tenant.plugin_settings, catalogue, tenant=tenant.code)
        choices = [*plugins.connectors.values(), *([plugins.notifier] if plugins.notifier else [])]
        for choice in choices:
            spec = catalogue.installed[choice.plugin].spec
            for setting in spec.settings:
                value = choice.values.get(setting.name)
                if not setting.secret or not isinstance(value, str):
                    continue
                if not value.startswith("secret:"):
                    continue
                path = secrets_dir / tenant.code / value.removeprefix("secret:")
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
                    path.chmod(0o600)
                    made.append(path)
    return made


def _loopback_url(values: dict[str, object]) -> str | None:
    for value in values.values():
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            host = urlsplit(value).hostname
            return value if host in LOOPBACK else None
    return None


def start_stand_ins(
    stack: contextlib.ExitStack,
    tenants: Iterable[TenantRecord],
    catalogue: PluginCatalogue,
    secrets_dir: Path,
) -> list[str]:
    """Start one stand-in per (plugin, loopback URL) the tenants' connectors use; what started."""
    started: dict[tuple[str, str], str] = {}
    for tenant in tenants:
        plugins, problems = read_tenant_plugins(
            tenant.plugin_settings, catalogue, tenant=tenant.code
        )
        if problems:
            continue
        for choice in plugins.connectors.values():
            spec = catalogue.installed[choice.plugin].spec
            url = _loopback_url(dict(choice.values))
            if spec.stand_in is None or url is None or (choice.plugin, url) in started:
                continue
            settings = resolve_settings(
                spec.settings, choice.values, tenant=tenant.code, secrets_dir=secrets_dir
            )
            stack.enter_context(spec.stand_in(settings))
            started[(choice.plugin, url)] = f"{choice.plugin} stand-in at {url} ({tenant.code})"
            log.info("agency stand-in started", tenant=tenant.code, plugin=choice.plugin, url=url)
    return list(started.values())
