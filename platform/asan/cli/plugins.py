"""``asan plugins ...``: what is installed."""

from __future__ import annotations

import click

from asan.plugins import discover


@click.group()
def plugins() -> None:
    """Installed plugins (connectors, notifiers)."""


@plugins.command("list")
def list_plugins() -> None:
    """Every plugin found through the asan.plugins entry points, with its version."""
    catalogue = discover()
    for name, plugin in sorted(catalogue.installed.items()):
        click.echo(
            f"{name:<20} {plugin.spec.kind.value:<10} {plugin.distribution} {plugin.version}"
            f"  {plugin.spec.summary}"
        )
    for name, error in sorted(catalogue.broken.items()):
        click.echo(f"{name:<20} BROKEN     {error}")
    if not catalogue.installed and not catalogue.broken:
        click.echo("no plugins installed")
