"""Console page: the plugins a tenant uses (agency connectors, notifier), read-only.

Plugin settings come from the tenant's bundle (``[plugins]`` of
``tenant.toml``), which the central team loads; this page shows what they
say, checked the way the platform checks them (``asan.plugins``). A secret
is shown only as set or not set, and whether it can be found where it is
kept; never its value, nor where it is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency

from admin_console.rendering import render, tenant_page
from asan.plugins import (
    ANY_AGENCY,
    InstalledPlugin,
    PluginChoice,
    PluginHost,
    SecretUnavailableError,
    Setting,
    SettingsProblem,
    describe_settings,
    read_tenant_plugins,
    resolve_settings,
)
from asan.tenancy import TenantRecord


@dataclass(frozen=True, slots=True)
class ShownSetting:
    name: str
    help: str
    value: Any
    """For a secret: ``"set"`` or ``"not set"`` (from ``describe_settings``)."""
    secret: bool
    from_default: bool
    found: bool | None = None
    """For a secret that is set: whether it can be read where it is kept."""


@dataclass(frozen=True, slots=True)
class Slot:
    """One place a plugin is chosen: an agency (``*`` for the rest), or the notifier."""

    kind: str
    """``connector`` or ``notifier``."""
    agency: str | None
    plugin: str
    installed: InstalledPlugin | None
    broken: str | None
    """Why an installed plugin cannot be used (another plugin API version, a failure)."""
    settings: list[ShownSetting] = field(default_factory=list)
    problems: list[SlotProblem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SlotProblem:
    setting: str
    """The setting at fault; empty for the slot itself (its plugin name)."""
    reason: str | None
    """The checker's reason (English); None for a secret's, which could name the reference."""


def _belongs(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def _secret_found(
    host: PluginHost, tenant: TenantRecord, setting: Setting, reference: object
) -> bool:
    """Whether the secret ``reference`` names can be read where the platform would read it."""
    if not isinstance(reference, str):
        return False
    try:
        resolve_settings(
            (setting,),
            {setting.name: reference},
            tenant=tenant.code,
            secrets_dir=host.secrets_dir,
            environ=host.environ,
        )
    except SecretUnavailableError:
        return False
    return True


def _settings(
    host: PluginHost,
    tenant: TenantRecord,
    installed: InstalledPlugin,
    raw: Mapping[str, Any],
    choice: PluginChoice | None,
) -> list[ShownSetting]:
    schema = installed.spec.settings
    values = choice.values if choice is not None else {}
    described = describe_settings(schema, values)
    shown = []
    for setting in schema:
        value = described.get(setting.name)
        found = None
        if setting.secret and setting.name in values:
            found = _secret_found(host, tenant, setting, values[setting.name])
        shown.append(
            ShownSetting(
                name=setting.name,
                help=setting.help,
                value=value,
                secret=setting.secret,
                from_default=setting.name not in raw and value is not None,
                found=found,
            )
        )
    return shown


def _slot_problems(
    problems: list[SettingsProblem], prefix: str, secrets: set[str]
) -> list[SlotProblem]:
    """The checker's findings for one slot; a secret's reason is left out (it may quote it)."""
    found = []
    for problem in problems:
        if _belongs(problem.path, prefix):
            setting = problem.path[len(prefix) + 1 :]
            found.append(SlotProblem(setting, None if setting in secrets else problem.reason))
    return found


def tenant_slots(host: PluginHost, tenant: TenantRecord) -> tuple[list[Slot], list[str]]:
    """Every plugin the tenant's settings name, with what the platform makes of it.

    Also the findings that belong to no slot (an unknown section).
    """
    raw: Mapping[str, Any] = tenant.plugin_settings
    checked, problems = read_tenant_plugins(raw, host.catalogue, tenant=tenant.code)
    entries: list[tuple[str, str | None, str, Mapping[str, Any], PluginChoice | None]] = []
    connectors = raw.get("connectors", {})
    if isinstance(connectors, Mapping):
        ordered = sorted(connectors, key=lambda agency: (agency == ANY_AGENCY, str(agency)))
        for agency in ordered:
            entry = connectors[agency]
            if isinstance(entry, Mapping):
                entries.append(
                    (
                        f"plugins.connectors.{agency}",
                        str(agency),
                        str(entry.get("plugin", "")),
                        entry,
                        checked.connectors.get(str(agency)),
                    )
                )
    notifier = raw.get("notifier")
    if isinstance(notifier, Mapping):
        entries.append(
            (
                "plugins.notifier",
                None,
                str(notifier.get("plugin", "")),
                notifier,
                checked.notifier,
            )
        )
    slots = []
    claimed: set[str] = set()
    for path, agency, name, entry, choice in entries:
        installed = host.catalogue.installed.get(name)
        secrets = {s.name for s in installed.spec.settings if s.secret} if installed else set()
        claimed |= {str(p) for p in problems if _belongs(p.path, path)}
        slots.append(
            Slot(
                kind="notifier" if agency is None else "connector",
                agency=agency,
                plugin=name,
                installed=installed,
                broken=host.catalogue.broken.get(name),
                settings=_settings(host, tenant, installed, entry, choice) if installed else [],
                problems=_slot_problems(problems, path, secrets),
            )
        )
    others = [str(problem) for problem in problems if str(problem) not in claimed]
    return slots, others


@get("/plugins", opt=tenant_page("settings.read"))
async def plugins_page(
    request: Request[Any, Any, Any], tenant: NamedDependency[TenantRecord]
) -> Response[str]:
    host: PluginHost = request.app.state.plugin_host
    slots, others = tenant_slots(host, tenant)
    return await render(
        request,
        "console/plugins/index.html",
        {
            "connectors": [slot for slot in slots if slot.kind == "connector"],
            "notifiers": [slot for slot in slots if slot.kind == "notifier"],
            "other_problems": others,
            "any_agency": ANY_AGENCY,
        },
    )


ROUTES = [plugins_page]
