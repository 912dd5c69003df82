"""``asan tenant ...``: the tenant registry for the central team."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from asan.access.loading import chain, policy_seeder, read_bundle_policies
from asan.audit import AuditEvent
from asan.catalogue.loading import catalogue_loader, read_bundle_catalogues
from asan.cli._context import CliContext
from asan.cli._output import cli_actor, print_json, progress, stdout
from asan.db import Database, TenantScope
from asan.plugins.loading import check_bundle_plugins
from asan.tenancy import LoadReport, TenantRecord, TenantRegistry, TenantStatus, read_bundles
from asan.tenancy.bundle import bundle_directories


def _registry(database: Database, context: CliContext) -> TenantRegistry:
    return TenantRegistry(database, base_domain=context.settings.base_domain)


def _summary(tenant: TenantRecord, base_domain: str) -> dict[str, Any]:
    return {
        "code": tenant.code,
        "name": tenant.names.get(tenant.default_locale, tenant.code),
        "names": dict(tenant.names),
        "status": tenant.status,
        "locales": list(tenant.locales),
        "default_locale": tenant.default_locale,
        "timezone": tenant.timezone,
        "currency": tenant.currency,
        "hosts": tenant.hosts(base_domain),
        "updated_at": tenant.updated_at.isoformat(),
    }


@click.group()
def tenant() -> None:
    """Tenants (countries): list, show, load bundles, suspend, resume."""


@tenant.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def list_tenants(context: CliContext, as_json: bool) -> None:
    """Every tenant with its status, locales and hosts."""
    tenants = context.run_with_database(lambda database: _registry(database, context).list())
    rows = [_summary(t, context.settings.base_domain) for t in tenants]
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("no tenants: load one with asan tenant load DIR")
    for row in rows:
        click.echo(
            f"{row['code']:<6} {row['status']:<10} {','.join(row['locales']):<12} "
            f"{row['currency']:<4} {row['timezone']:<20} {' '.join(row['hosts'])}"
        )


@tenant.command()
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def show(context: CliContext, code: str, as_json: bool) -> None:
    """One tenant in full, with the last changes from its audit trail."""

    async def read(database: Database) -> tuple[TenantRecord, list[AuditEvent]]:
        found = await _registry(database, context).get(code)
        async with database.transaction(TenantScope(found.id, found.code)) as session:
            events = (
                await session.scalars(
                    select(AuditEvent).order_by(AuditEvent.occurred_at.desc()).limit(10)
                )
            ).all()
        return found, list(events)

    found, events = context.run_with_database(read)
    data = _summary(found, context.settings.base_domain)
    data["recent_changes"] = [
        {"at": e.occurred_at.isoformat(), "actor": e.actor, "action": e.action, "detail": e.detail}
        for e in events
    ]
    if as_json:
        print_json(data)
        return
    for key in ("code", "status", "default_locale", "timezone", "currency"):
        click.echo(f"{key:<15} {data[key]}")
    click.echo(f"{'locales':<15} {', '.join(data['locales'])}")
    click.echo(f"{'hosts':<15} {', '.join(data['hosts'])}")
    for locale, name in data["names"].items():
        click.echo(f"{'name.' + locale:<15} {name}")
    click.echo("recent changes:")
    for change in data["recent_changes"]:
        click.echo(f"  {change['at']}  {change['actor']:<20} {change['action']}")


def load_bundles(context: CliContext, path: Path) -> LoadReport:
    """Validate every bundle under ``path``, then write them all in one transaction."""
    directories = bundle_directories(path)
    bundles = read_bundles(directories)  # raises with every problem; nothing written yet
    catalogues = read_bundle_catalogues(bundles)  # likewise
    policies = read_bundle_policies(bundles)  # likewise
    check_bundle_plugins(
        bundles,
        {code: {a["code"] for a in catalogue.agencies} for code, catalogue in catalogues.items()},
    )  # likewise

    async def write(database: Database) -> LoadReport:
        with progress("loading tenants", total=len(bundles)) as bar:
            task = bar.task_ids[0]

            def step(message: str) -> None:
                bar.update(task, advance=1, current=message)

            return await _registry(database, context).load(
                bundles,
                actor=cli_actor(),
                progress=step,
                with_each=chain(
                    catalogue_loader(catalogues, actor=cli_actor()),
                    policy_seeder(policies, actor=cli_actor()),
                ),
            )

    return context.run_with_database(write)


@tenant.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.pass_obj
def load(context: CliContext, directory: Path) -> None:
    """Load one bundle folder, or every bundle folder inside DIRECTORY.

    Everything is checked first; on any problem nothing changes. Loading an
    unchanged bundle again changes nothing.
    """
    report = load_bundles(context, directory)
    for code, outcome in report.outcomes.items():
        note = f", {report.notes[code]}" if code in report.notes else ""
        stdout.print(f"{code}: {outcome.value}{note}", markup=False)


def _set_status(context: CliContext, code: str, status: TenantStatus) -> None:
    found = context.run_with_database(
        lambda database: _registry(database, context).set_status(code, status, actor=cli_actor())
    )
    click.echo(f"{found.code}: {found.status}")


@tenant.command()
@click.argument("code")
@click.pass_obj
def suspend(context: CliContext, code: str) -> None:
    """Stop serving a tenant (its hosts answer 503); its data is kept."""
    _set_status(context, code, TenantStatus.SUSPENDED)


@tenant.command()
@click.argument("code")
@click.pass_obj
def resume(context: CliContext, code: str) -> None:
    """Serve a suspended tenant again."""
    _set_status(context, code, TenantStatus.ACTIVE)
