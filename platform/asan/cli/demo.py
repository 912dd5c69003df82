"""``asan demo``: what ``make run`` does after installing."""

from __future__ import annotations

import contextlib

import click
from sqlalchemy.engine import make_url

from asan.access.demo import DemoAccount, ensure_demo_staff
from asan.access.staff import add_platform_operator
from asan.cli._context import CliContext
from asan.cli._output import cli_actor
from asan.cli.serve import run_server
from asan.cli.tenant import load_bundles
from asan.db import Database, migrate
from asan.errors import ConfigError
from asan.plugins import discover
from asan.plugins.stand_ins import make_missing_secrets, start_stand_ins
from asan.tenancy import TenantRecord, TenantRegistry


def _demo_staff(context: CliContext, codes: list[str]) -> list[DemoAccount]:
    settings = context.settings

    async def run(database: Database) -> list[DemoAccount]:
        registry = TenantRegistry(database, base_domain=settings.base_domain)
        accounts: list[DemoAccount] = []
        for code in codes:
            accounts += await ensure_demo_staff(
                database,
                await registry.get(code),
                password=settings.demo_password,
                actor=cli_actor(),
            )
        return accounts

    return context.run_with_database(run)


def _tenants(context: CliContext) -> list[TenantRecord]:
    async def run(database: Database) -> list[TenantRecord]:
        return await TenantRegistry(database, base_domain=context.settings.base_domain).list()

    return context.run_with_database(run)


def _demo_operator(context: CliContext) -> DemoAccount:
    username = "platform_operator@platform"

    async def run(database: Database) -> bool:
        return await add_platform_operator(
            database, username, context.settings.demo_password, demo=True
        )

    return DemoAccount(
        username, "platform_operator", "(base domain)", context.run_with_database(run)
    )


@click.command()
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="Start the server once the database is ready.",
)
@click.option(
    "--accounts",
    is_flag=True,
    help="Only list the demo staff accounts (made if missing), then stop.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--reload", is_flag=True, help="Restart the server when the code changes.")
@click.pass_obj
def demo(
    context: CliContext, serve: bool, accounts: bool, host: str, port: int, reload: bool
) -> None:
    """Migrate, load every bundle in ASAN_TENANTS_DIR, make demo staff, then serve (dev only).

    Demo staff: one account per role and tenant, named <role>@<tenant>, with the
    password in ASAN_DEMO_PASSWORD (default: demo).
    """
    settings = context.settings
    if settings.is_production:
        raise ConfigError("asan demo loads demo data and is refused when ASAN_ENV=production")
    shown = make_url(settings.database.migration_url).render_as_string(hide_password=True)
    click.echo(f"migrating {shown}", err=True)
    migrate.upgrade(settings)
    report = load_bundles(context, settings.tenants_dir)
    staff = _demo_staff(context, list(report.outcomes))
    staff.append(_demo_operator(context))
    if accounts:
        click.echo("password of every account: the value of ASAN_DEMO_PASSWORD (default: demo)")
        for account in staff:
            click.echo(f"{account.username:<32} {account.role:<20} {account.tenant}")
        return
    for code, outcome in report.outcomes.items():
        click.echo(
            f"tenant {code}: {outcome.value} -> http://{code}.{settings.base_domain}:{port}/api/v1/tenant"
            f", console http://{code}.{settings.base_domain}:{port}/console/",
            err=True,
        )
    click.echo(
        f"central team's console: http://{settings.base_domain}:{port}/console/"
        " (platform_operator@platform)",
        err=True,
    )
    click.echo(
        f"demo staff: <role>@<tenant> (e.g. tenant_admin@az), {len(staff)} accounts; "
        "asan demo --accounts lists them",
        err=True,
    )
    if not serve:
        return
    tenants = _tenants(context)
    catalogue = discover()
    for path in make_missing_secrets(tenants, catalogue, settings.secrets_dir):
        click.echo(f"demo secret written: {path}", err=True)
    with contextlib.ExitStack() as stack:
        for line in start_stand_ins(stack, tenants, catalogue, settings.secrets_dir):
            click.echo(f"agency {line}", err=True)
        run_server(context, host=host, port=port, workers=1, reload=reload)
