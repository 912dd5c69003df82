"""``asan upgrade plan|apply``: the central team's upgrade of one instance."""

from __future__ import annotations

import json

import click

from asan.cli._context import CliContext
from asan.cli._output import cli_actor, progress
from asan.db import Database
from asan.upgrade import ApplyReport, Plan, apply_upgrade, make_plan


@click.group()
def upgrade() -> None:
    """Upgrade this instance's database and tenants to the installed release."""


def _print_plan(plan: Plan) -> None:
    current = ", ".join(plan.current) or "(empty database)"
    target = ", ".join(plan.target)
    click.echo(f"release {plan.release}: schema {current} -> {target}")
    if plan.migrations:
        click.echo("migrations to run:")
        for migration in plan.migrations:
            click.echo(f"  {migration.revision:<22} {migration.release:<8} {migration.message}")
    else:
        click.echo("migrations to run: none")
    click.echo("tenants:")
    for tenant in plan.tenants:
        mark = "ready" if tenant.ready else "BLOCKED"
        recorded = tenant.recorded_release or "never upgraded"
        plugins = ", ".join(f"{n} {v}" for n, v in tenant.plugins.items()) or "no plugins"
        click.echo(f"  {tenant.code:<6} {mark:<8} last upgraded: {recorded}; {plugins}")
        for problem in tenant.problems:
            click.echo(f"         - {problem}")


@upgrade.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def plan(context: CliContext, as_json: bool) -> None:
    """What an upgrade would do: migrations, and whether each tenant is ready. Changes nothing.

    Exits 1 when a tenant is blocked (apply would leave it as it is).
    """

    async def run(database: Database) -> Plan:
        return await make_plan(context.settings, database)

    found = context.run_with_database(run)
    if as_json:
        click.echo(json.dumps(found.as_json(), indent=2, ensure_ascii=False))
    else:
        _print_plan(found)
    if not found.ready:
        raise SystemExit(1)


@upgrade.command()
@click.pass_obj
def apply(context: CliContext) -> None:
    """Run the migrations, then upgrade each ready tenant; blocked tenants are left as they are.

    Migrations run with ASAN_MIGRATION_DATABASE_URL (the owner). Exits 1 if a
    tenant was left behind.
    """

    async def run(database: Database) -> ApplyReport:
        with progress("upgrading tenants", total=None) as bar:
            task = bar.task_ids[0]
            return await apply_upgrade(
                context.settings,
                database,
                actor=cli_actor(),
                progress=lambda code: bar.update(task, advance=1, current=code),
            )

    report = context.run_with_database(run)
    click.echo(f"migrations run: {', '.join(report.migrated) or 'none'}")
    for code in report.upgraded:
        click.echo(f"{code}: upgraded to {report.before.release}")
    for code in report.unchanged:
        click.echo(f"{code}: already at {report.before.release}")
    for code, problems in report.held.items():
        click.echo(f"{code}: LEFT AS IT WAS")
        for problem in problems:
            click.echo(f"  - {problem}")
    if not report.complete:
        raise SystemExit(1)
