"""``asan policy ...``: a tenant's stored policy, checked, explained, laid out."""

from __future__ import annotations

import click

from asan.access.authorizer import Authorizer
from asan.authz import (
    Severity,
    TenantPolicy,
    check_policy,
    explain_policy,
    permission_name,
    policy_matrix,
)
from asan.cli._context import CliContext
from asan.db import Database
from asan.tenancy import TenantRegistry


def _stored(context: CliContext, code: str) -> tuple[TenantPolicy, TenantPolicy]:
    """The tenant's policy as stored, and the platform templates it is read with."""

    async def run(database: Database) -> tuple[TenantPolicy, TenantPolicy]:
        tenant = await TenantRegistry(database, base_domain=context.settings.base_domain).get(code)
        authorizer = Authorizer(database, refresh_seconds=0)
        return await authorizer.policy(tenant), authorizer.templates

    return context.run_with_database(run)


@click.group()
def policy() -> None:
    """A tenant's role policy: check, explain, matrix."""


@policy.command()
@click.argument("code")
@click.pass_obj
def check(context: CliContext, code: str) -> None:
    """Unknown roles, rules that can never match, separation-of-duties violations.

    Exits 1 when there is an error, 0 when there are only warnings or nothing.
    """
    stored, templates = _stored(context, code)
    findings = check_policy(stored, templates)
    for finding in findings:
        click.echo(str(finding))
    if not findings:
        click.echo(
            f"{code}: no problems ({len(stored.rules)} rules, {len(stored.grouping)} grants)"
        )
    if any(finding.severity is Severity.ERROR for finding in findings):
        raise SystemExit(1)


@policy.command()
@click.argument("code")
@click.argument("user")
@click.argument("action")
@click.argument("object_", metavar="OBJECT")
@click.pass_obj
def explain(context: CliContext, code: str, user: str, action: str, object_: str) -> None:
    """Whether USER may do ACTION on OBJECT (e.g. publish catalogue), and which rule decided."""
    stored, templates = _stored(context, code)
    decision = explain_policy(stored, templates, user, permission_name(object_, action))
    click.echo(str(decision))
    if not decision.allowed:
        raise SystemExit(2)


@policy.command()
@click.argument("code")
@click.pass_obj
def matrix(context: CliContext, code: str) -> None:
    """Roles x permissions: * granted by a platform template, + by the tenant's own rule."""
    stored, templates = _stored(context, code)
    table = policy_matrix(stored, templates).table()
    header, rows = table[0], table[1:]
    width = max(len(row[0]) for row in table)
    for index, permission in enumerate(header[1:]):
        click.echo(f"{'':<{width}}  {'|  ' * index}{permission}")
    for row in rows:
        click.echo(f"{row[0]:<{width}}  " + "  ".join(f"{cell or '.':<1}" for cell in row[1:]))
