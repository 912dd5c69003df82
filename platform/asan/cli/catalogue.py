"""``asan catalogue ...``: a tenant's catalogue as a bundle file."""

from __future__ import annotations

from pathlib import Path

import click

from asan.catalogue.bundle import (
    CatalogueFile,
    TenantLanguages,
    dump_catalogue,
    read_catalogue_text,
)
from asan.catalogue.service import CatalogueService
from asan.catalogue.transfer import ImportReport
from asan.cli._context import CliContext
from asan.cli._output import cli_actor, stderr
from asan.db import Database, TenantScope
from asan.tenancy import TenantRegistry


@click.group()
def catalogue() -> None:
    """A tenant's service catalogue: import and export the bundle file."""


@catalogue.command("import")
@click.argument("code")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.pass_obj
def import_catalogue(context: CliContext, code: str, file: Path) -> None:
    """Check FILE completely, then import it into tenant CODE in one transaction.

    On any problem nothing is imported and every problem is listed with its
    path. Entries already as the file says are left untouched.
    """

    async def run(database: Database) -> ImportReport:
        tenant = await TenantRegistry(database, base_domain=context.settings.base_domain).get(code)
        languages = TenantLanguages(tenant.locales, tenant.currency)
        async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
            service = CatalogueService(
                session, tenant_id=tenant.id, languages=languages, actor=cli_actor()
            )
            with stderr.status(f"checking {file}"):
                checked = await service.read_import(read_catalogue_text(file), source=str(file))
            with stderr.status(f"importing {len(checked.services)} services into {code}"):
                return await service.import_catalogue(checked)

    report = context.run_with_database(run)
    for kind in ("agencies", "categories", "services"):
        click.echo(
            f"{kind}: {report.created[kind]} created, {report.updated[kind]} updated, "
            f"{report.unchanged[kind]} unchanged"
        )


@catalogue.command("export")
@click.argument("code")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of standard output.",
)
@click.pass_obj
def export_catalogue(context: CliContext, code: str, output: Path | None) -> None:
    """Write tenant CODE's catalogue as a bundle file (canonical: same catalogue, same text)."""

    async def run(database: Database) -> CatalogueFile:
        tenant = await TenantRegistry(database, base_domain=context.settings.base_domain).get(code)
        async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
            return await CatalogueService(
                session,
                tenant_id=tenant.id,
                languages=TenantLanguages(tenant.locales, tenant.currency),
                actor=cli_actor(),
            ).export_catalogue()

    text = dump_catalogue(context.run_with_database(run))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
