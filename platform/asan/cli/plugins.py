"""``asan plugins ...``: what is installed, who uses it, and whether it works."""

from __future__ import annotations

import click

from asan.cli._context import CliContext
from asan.db import Database
from asan.plugins import (
    ANY_AGENCY,
    PluginHost,
    PluginUnavailableError,
    discover,
    named_plugins,
    read_tenant_plugins,
)
from asan.tenancy import TenantRecord, TenantRegistry


def _tenants(context: CliContext) -> list[TenantRecord]:
    async def run(database: Database) -> list[TenantRecord]:
        return await TenantRegistry(database, base_domain=context.settings.base_domain).list()

    return context.run_with_database(run)


def _usage(tenants: list[TenantRecord]) -> dict[str, list[str]]:
    """Plugin name -> ``tenant``, ``tenant/agency`` or ``tenant (notifier)`` entries."""
    shown = {ANY_AGENCY: "{code}", "notifier": "{code} (notifier)"}
    used: dict[str, list[str]] = {}
    for tenant in tenants:
        for plugin, slots in named_plugins(tenant.plugin_settings).items():
            used.setdefault(plugin, []).extend(
                shown.get(slot, "{code}/" + slot).format(code=tenant.code) for slot in slots
            )
    return used


@click.group()
def plugins() -> None:
    """Installed plugins (connectors, notifiers)."""


@plugins.command("list")
@click.pass_obj
def list_plugins(context: CliContext) -> None:
    """Every plugin found through the asan.plugins entry points: version, and who uses it."""
    catalogue = discover()
    used = _usage(_tenants(context))
    for name, plugin in sorted(catalogue.installed.items()):
        users = ", ".join(sorted(used.pop(name, []))) or "-"
        click.echo(
            f"{name:<16} {plugin.spec.kind.value:<10} {plugin.distribution} {plugin.version:<8} "
            f"used by: {users}"
        )
    for name, error in sorted(catalogue.broken.items()):
        click.echo(f"{name:<16} BROKEN     {error}")
    for name, naming in sorted(used.items()):
        click.echo(f"{name:<16} MISSING    not installed, named by: {', '.join(sorted(naming))}")
    if not catalogue.installed and not catalogue.broken:
        click.echo("no plugins installed")


@plugins.command("check")
@click.argument("name")
@click.option("--tenant", "only", help="Check this tenant only.")
@click.pass_obj
def check(context: CliContext, name: str, only: str | None) -> None:
    """Check plugin NAME for every tenant using it: settings valid, secrets found, health.

    Exits 1 if any check fails.
    """
    catalogue = discover()
    if name not in catalogue.installed:
        detail = catalogue.broken.get(name, "not installed")
        raise click.ClickException(f"plugin {name}: {detail}")
    spec = catalogue.installed[name].spec
    settings = context.settings
    host = PluginHost(catalogue, secrets_dir=settings.secrets_dir, environ=None)
    failures = 0
    checked = 0

    async def run(database: Database) -> None:
        nonlocal failures, checked
        tenants = await TenantRegistry(database, base_domain=settings.base_domain).list()
        for tenant in tenants:
            if only and tenant.code != only:
                continue
            plugins, _ = read_tenant_plugins(tenant.plugin_settings, catalogue, tenant=tenant.code)
            slots: list[str] = [
                agency for agency, choice in plugins.connectors.items() if choice.plugin == name
            ]
            uses_notifier = plugins.notifier is not None and plugins.notifier.plugin == name
            if not slots and not uses_notifier:
                continue
            for agency in slots:
                checked += 1
                where = f"{tenant.code}/{agency}"
                try:
                    connector = await host.connector(tenant.code, tenant.plugin_settings, agency)
                    health = await connector.health()
                except PluginUnavailableError as exc:
                    click.echo(f"FAIL {where}: {exc.message}")
                    failures += 1
                    continue
                mark = "ok  " if health.ok else "FAIL"
                failures += 0 if health.ok else 1
                click.echo(f"{mark} {where}: settings valid; health: {health.detail}")
            if uses_notifier:
                checked += 1
                try:
                    await host.notifier(tenant.code, tenant.plugin_settings)
                    click.echo(f"ok   {tenant.code} (notifier): settings valid, built")
                except PluginUnavailableError as exc:
                    click.echo(f"FAIL {tenant.code} (notifier): {exc.message}")
                    failures += 1
        await host.aclose()

    context.run_with_database(run)
    if not checked and not failures:
        click.echo(f"plugin {name} ({spec.kind.value}) is used by no tenant")
    if failures:
        raise click.ClickException(f"{failures} check(s) of {name} failed")
