"""``asan staff ...``: staff accounts, from the command line (a new tenant's first admin)."""

from __future__ import annotations

import os

import click

from asan.access.staff import add_platform_operator, add_staff_member, set_staff_password
from asan.cli._context import CliContext
from asan.cli._output import cli_actor
from asan.db import Database
from asan.tenancy import TenantRegistry

PASSWORD_VARIABLE = "ASAN_STAFF_PASSWORD"  # noqa: S105 - the name of a variable, not a password


@click.group()
def staff() -> None:
    """Staff accounts of a tenant."""


@staff.command("add-operator")
@click.argument("username")
@click.pass_obj
def add_operator(context: CliContext, username: str) -> None:
    """Add USERNAME to the central team (platform operators sign in on the base domain)."""
    password = os.environ.get(PASSWORD_VARIABLE) or click.prompt(
        "password", hide_input=True, confirmation_prompt=True
    )

    async def run(database: Database) -> bool:
        return await add_platform_operator(database, username, password)

    if not context.run_with_database(run):
        raise click.ClickException(f"{username} exists already")
    click.echo(f"{username}: added to the platform operators")


@staff.command()
@click.argument("code")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="A role to grant; repeatable.")
@click.option("--agency", help="The agency the member works for (agency officers see only its).")
@click.pass_obj
def add(
    context: CliContext, code: str, username: str, roles: tuple[str, ...], agency: str | None
) -> None:
    """Add USERNAME to tenant CODE with the given roles.

    The password is read from ASAN_STAFF_PASSWORD when set (scripts), else
    asked for twice (never as an argument: it would stay in shell history).
    """
    password = os.environ.get(PASSWORD_VARIABLE) or click.prompt(
        "password", hide_input=True, confirmation_prompt=True
    )

    async def run(database: Database) -> None:
        tenant = await TenantRegistry(database, base_domain=context.settings.base_domain).get(code)
        await add_staff_member(
            database, tenant, username, password, roles, actor=cli_actor(), agency=agency
        )

    context.run_with_database(run)
    where = f" at {agency}" if agency else ""
    click.echo(f"{username}: added to {code} as {', '.join(roles)}{where}")


@staff.command("set-password")
@click.argument("code")
@click.argument("username")
@click.pass_obj
def set_password(context: CliContext, code: str, username: str) -> None:
    """Set USERNAME's password on tenant CODE (imported accounts have none) and unlock it.

    The password is read from ASAN_STAFF_PASSWORD when set, else asked for twice.
    """
    password = os.environ.get(PASSWORD_VARIABLE) or click.prompt(
        "password", hide_input=True, confirmation_prompt=True
    )

    async def run(database: Database) -> None:
        tenant = await TenantRegistry(database, base_domain=context.settings.base_domain).get(code)
        await set_staff_password(database, tenant, username, password, actor=cli_actor())

    context.run_with_database(run)
    click.echo(f"{username}: password set on {code}")
