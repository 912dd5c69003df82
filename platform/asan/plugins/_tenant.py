"""A tenant's plugin settings: which connector serves each agency, and which notifier.

They live in the ``[plugins]`` table of the tenant's bundle (``tenant.toml``)::

    [plugins.notifier]
    plugin = "smtp_notifier"
    host = "smtp.example.gov"
    password = "env:ASAN_SECRET_AZ_SMTP_PASSWORD"

    [plugins.connectors."*"]          # every agency without its own entry
    plugin = "sandbox_agency"

    [plugins.connectors.tax-service]  # one agency
    plugin = "rest_webhook"
    base_url = "https://api.tax.example.gov/asan"
    shared_secret = "secret:az-tax/hmac"

:func:`read_tenant_plugins` checks such a table against the installed plugins
(every problem, with its path); :class:`PluginHost` builds the plugins of one
tenant when they are first needed and keeps them until the tenant's settings
change. A tenant whose settings are broken (an unknown plugin, a missing
secret) gets a clear :class:`PluginUnavailableError` for that tenant and
agency; every other tenant keeps working.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from asan.errors import AsanError
from asan.i18n import N_
from asan.plugins._connector import AgencyConnector
from asan.plugins._discovery import PluginCatalogue
from asan.plugins._settings import (
    SecretUnavailableError,
    SettingsProblem,
    check_settings,
    resolve_settings,
)
from asan.plugins._spec import Notifier, PluginConfig, PluginKind

log = structlog.get_logger(__name__)

ANY_AGENCY = "*"
_SECTIONS = ("connectors", "notifier")


class PluginUnavailableError(AsanError):
    """A tenant's plugin cannot be built; deliveries for it wait (retryable) until fixed."""

    code = "plugin_unavailable"
    status = 503


@dataclass(frozen=True, slots=True)
class PluginChoice:
    plugin: str
    values: Mapping[str, Any]
    """Checked settings, defaults filled in, secrets still as references."""


@dataclass(frozen=True, slots=True)
class TenantPlugins:
    connectors: Mapping[str, PluginChoice] = field(default_factory=dict)
    """By agency code, :data:`ANY_AGENCY` for the tenant's default."""
    notifier: PluginChoice | None = None

    def connector_choice(self, agency: str) -> PluginChoice | None:
        return self.connectors.get(agency) or self.connectors.get(ANY_AGENCY)

    def plugin_names(self) -> set[str]:
        names = {choice.plugin for choice in self.connectors.values()}
        if self.notifier:
            names.add(self.notifier.plugin)
        return names


def _choice(
    raw: object, path: str, kind: PluginKind, catalogue: PluginCatalogue, tenant: str | None
) -> tuple[PluginChoice | None, list[SettingsProblem]]:
    if not isinstance(raw, Mapping):
        return None, [SettingsProblem(path, "must be a table with at least plugin = NAME")]
    name = raw.get("plugin")
    if not isinstance(name, str) or not name:
        return None, [SettingsProblem(f"{path}.plugin", "required: the name of the plugin")]
    if name in catalogue.broken:
        return None, [
            SettingsProblem(
                f"{path}.plugin",
                f"plugin {name!r} is installed but broken: {catalogue.broken[name]}",
            )
        ]
    installed = catalogue.installed.get(name)
    if installed is None:
        known = ", ".join(sorted(catalogue.installed)) or "none"
        return None, [
            SettingsProblem(f"{path}.plugin", f"unknown plugin {name!r} (installed: {known})")
        ]
    if installed.spec.kind != kind:
        return None, [
            SettingsProblem(
                f"{path}.plugin", f"{name!r} is a {installed.spec.kind.value}, not a {kind.value}"
            )
        ]
    settings = {key: value for key, value in raw.items() if key != "plugin"}
    values, problems = check_settings(installed.spec.settings, settings, where=path, tenant=tenant)
    return PluginChoice(name, values), problems


def read_tenant_plugins(
    raw: Mapping[str, Any],
    catalogue: PluginCatalogue,
    *,
    agencies: set[str] | None = None,
    tenant: str | None = None,
) -> tuple[TenantPlugins, list[SettingsProblem]]:
    """The ``[plugins]`` table checked; ``agencies`` (when known) catches misspelt agency codes,
    ``tenant`` (when known) secret references outside that tenant's own."""
    problems: list[SettingsProblem] = []
    for key in raw:
        if key not in _SECTIONS:
            problems.append(
                SettingsProblem(f"plugins.{key}", "unknown section (connectors or notifier)")
            )
    connectors: dict[str, PluginChoice] = {}
    raw_connectors = raw.get("connectors", {})
    if not isinstance(raw_connectors, Mapping):
        problems.append(SettingsProblem("plugins.connectors", "must be a table of agencies"))
        raw_connectors = {}
    for agency, entry in raw_connectors.items():
        path = f"plugins.connectors.{agency}"
        if agencies is not None and agency != ANY_AGENCY and agency not in agencies:
            problems.append(SettingsProblem(path, f"no agency {agency!r} in the catalogue"))
        choice, found = _choice(entry, path, PluginKind.CONNECTOR, catalogue, tenant)
        problems += found
        if choice:
            connectors[str(agency)] = choice
    notifier = None
    if "notifier" in raw:
        notifier, found = _choice(
            raw["notifier"], "plugins.notifier", PluginKind.NOTIFIER, catalogue, tenant
        )
        problems += found
    return TenantPlugins(connectors=connectors, notifier=notifier), problems


def named_plugins(raw: Mapping[str, Any]) -> dict[str, list[str]]:
    """Plugin name -> the slots that name it (an agency code, ``*``, or ``notifier``).

    Read from the table as it is, checked or not: what an operator needs to see
    is what the settings say, including plugins that are not installed.
    """
    named: dict[str, list[str]] = {}
    connectors = raw.get("connectors", {})
    for agency, entry in connectors.items() if isinstance(connectors, Mapping) else ():
        if isinstance(entry, Mapping) and isinstance(entry.get("plugin"), str):
            named.setdefault(entry["plugin"], []).append(str(agency))
    notifier = raw.get("notifier")
    if isinstance(notifier, Mapping) and isinstance(notifier.get("plugin"), str):
        named.setdefault(notifier["plugin"], []).append("notifier")
    return named


def _digest(value: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


class PluginHost:
    """Builds and keeps each tenant's plugin instances; one per process.

    Instances are cached per (tenant, agency) and rebuilt when the tenant's
    settings change (their digest differs), so a reloaded bundle takes effect
    without a restart.
    """

    def __init__(
        self, catalogue: PluginCatalogue, *, secrets_dir: Path, environ: Mapping[str, str] | None
    ) -> None:
        self.catalogue = catalogue
        self.secrets_dir = secrets_dir
        self.environ = environ
        self._built: dict[tuple[str, str], tuple[str, object]] = {}
        self._lock = asyncio.Lock()

    def settings_of(self, tenant: str, raw: Mapping[str, Any]) -> TenantPlugins:
        plugins, problems = read_tenant_plugins(raw, self.catalogue, tenant=tenant)
        if problems:
            raise PluginUnavailableError(
                N_("tenant {tenant}: plugin settings are invalid: {problem}"),
                detail={"errors": [str(problem) for problem in problems]},
                tenant=tenant,
                problem="; ".join(map(str, problems)),
            )
        return plugins

    def problems(self, tenant: str, raw: Mapping[str, Any]) -> list[str]:
        """What keeps this tenant's plugins from starting (empty: all good); never raises.

        Settings are checked, and every secret they refer to is looked up (not kept).
        """
        plugins, problems = read_tenant_plugins(raw, self.catalogue, tenant=tenant)
        slots = [(f"plugins.connectors.{agency}", c) for agency, c in plugins.connectors.items()]
        if plugins.notifier:
            slots.append(("plugins.notifier", plugins.notifier))
        for path, choice in slots:
            spec = self.catalogue.installed[choice.plugin].spec
            try:
                resolve_settings(
                    spec.settings,
                    choice.values,
                    tenant=tenant,
                    secrets_dir=self.secrets_dir,
                    environ=self.environ,
                )
            except SecretUnavailableError as exc:
                problems.append(SettingsProblem(path, f"{choice.plugin}: {exc}"))
        return [f"tenant {tenant}: {problem}" for problem in problems]

    def _build(self, tenant: str, agency: str | None, choice: PluginChoice) -> object:
        spec = self.catalogue.installed[choice.plugin].spec
        try:
            settings = resolve_settings(
                spec.settings,
                choice.values,
                tenant=tenant,
                secrets_dir=self.secrets_dir,
                environ=self.environ,
            )
            return spec.factory(PluginConfig(tenant=tenant, agency=agency, settings=settings))
        except SecretUnavailableError as exc:
            raise PluginUnavailableError(
                N_("tenant {tenant}: plugin {plugin}: {reason}"),
                tenant=tenant,
                plugin=choice.plugin,
                reason=str(exc),
            ) from exc
        except (ValueError, TypeError) as exc:
            raise PluginUnavailableError(
                N_("tenant {tenant}: plugin {plugin}: {reason}"),
                tenant=tenant,
                plugin=choice.plugin,
                reason=str(exc),
            ) from exc

    async def _cached(
        self, tenant: str, slot: str, agency: str | None, choice: PluginChoice
    ) -> object:
        digest = _digest({"plugin": choice.plugin, **choice.values})
        key = (tenant, slot)
        async with self._lock:
            found = self._built.get(key)
            if found and found[0] == digest:
                return found[1]
            instance = self._build(tenant, agency, choice)
            self._built[key] = (digest, instance)
        if found and isinstance(found[1], AgencyConnector):
            await found[1].aclose()
        log.info("plugin built", tenant=tenant, slot=slot, plugin=choice.plugin)
        return instance

    async def connector(self, tenant: str, raw: Mapping[str, Any], agency: str) -> AgencyConnector:
        choice = self.settings_of(tenant, raw).connector_choice(agency)
        if choice is None:
            raise PluginUnavailableError(
                N_("tenant {tenant}: no connector is configured for agency {agency}"),
                tenant=tenant,
                agency=agency,
            )
        instance = await self._cached(tenant, f"connector:{agency}", agency, choice)
        assert isinstance(instance, AgencyConnector)
        return instance

    async def notifier(self, tenant: str, raw: Mapping[str, Any]) -> Notifier | None:
        choice = self.settings_of(tenant, raw).notifier
        if choice is None:
            return None
        instance = await self._cached(tenant, "notifier", None, choice)
        assert isinstance(instance, Notifier)
        return instance

    def notifier_channels(self, raw: Mapping[str, Any]) -> tuple[str, ...]:
        """The channels of the tenant's notifier (empty without one)."""
        plugins, _ = read_tenant_plugins(raw, self.catalogue)
        if plugins.notifier is None:
            return ()
        return self.catalogue.installed[plugins.notifier.plugin].spec.channels

    async def aclose(self) -> None:
        async with self._lock:
            built, self._built = self._built, {}
        for _, instance in built.values():
            if isinstance(instance, AgencyConnector):
                await instance.aclose()
