"""``asan tenant ...``: the tenant registry for the central team."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress
from sqlalchemy import select

from asan.audit import AuditEvent
from asan.cli._context import CliContext
from asan.cli._output import cli_actor, print_json, progress, stderr, stdout
from asan.db import Database, TenantScope
from asan.db.migrate import head_revisions
from asan.portability import (
    ExportReport,
    ImportReport,
    PortabilityError,
    export_tenant,
    import_tenant,
)
from asan.tenancy import LoadReport, TenantRecord, TenantRegistry, TenantStatus
from asan.tenancy.bundle import bundle_directories
from asan.tenancy.loading import check_bundles, load_checked_bundles


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
    """Tenants (countries): list, show, load bundles, suspend, resume, export, import."""


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
    checked = check_bundles(bundle_directories(path))  # raises with every problem

    async def write(database: Database) -> LoadReport:
        with progress("loading tenants", total=len(checked.bundles)) as bar:
            task = bar.task_ids[0]

            def step(message: str) -> None:
                bar.update(task, advance=1, current=message)

            return await load_checked_bundles(
                _registry(database, context), checked, actor=cli_actor(), progress=step
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


class _Bar:
    """A :class:`asan.portability.TransferProgress` drawn as the CLI's progress bar, shown
    from the moment the work knows its size (a refusal before then prints only itself)."""

    def __init__(self, description: str, stack: ExitStack) -> None:
        self.description = description
        self.stack = stack
        self.bar: Progress | None = None

    def start(self, total: int) -> None:
        self.bar = self.stack.enter_context(progress(self.description, total=total))

    def advance(self, rows: int, current: str) -> None:
        if self.bar is not None:
            self.bar.update(self.bar.task_ids[0], advance=rows, current=current)


@contextmanager
def _problems_listed() -> Iterator[None]:
    """Every problem of a refused export or import on a line of its own, as ``load`` does."""
    try:
        yield
    except PortabilityError as exc:
        for problem in exc.problems:
            stderr.print(f"error: {problem}", markup=False)
        stderr.print(f"nothing was changed ({len(exc.problems)} problem(s))", markup=False)
        sys.exit(1)


@tenant.command("export")
@click.argument("code")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.pass_obj
def export_command(context: CliContext, code: str, directory: Path) -> None:
    """Write everything of tenant CODE to DIRECTORY (new, or an empty folder).

    Bundle, catalogue with every version, policy, staff (without passwords),
    applications with their timelines, access records and delivery jobs, and
    the audit trail, with a manifest of checksums. Read with asan tenant import
    on another instance. Suspend the tenant first when it is moving: what
    changes after the export is not in it.
    """

    async def run(database: Database) -> ExportReport:
        with ExitStack() as stack:
            return await export_tenant(
                database,
                code,
                directory,
                actor=cli_actor(),
                progress=_Bar(f"exporting {code}", stack),
            )

    with _problems_listed():
        report = context.run_with_database(run)
    for file, rows in report.rows.items():
        stdout.print(f"{file}: {rows} row(s)", markup=False)
    stdout.print(f"{report.code}: exported to {report.directory}", markup=False)
    if report.status == TenantStatus.ACTIVE.value:
        stderr.print(
            f"note: {report.code} is active; for a move, suspend it before exporting "
            "(asan tenant suspend) so that nothing changes after the export",
            markup=False,
        )


@tenant.command("import")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.pass_obj
def import_command(context: CliContext, directory: Path) -> None:
    """Load a tenant exported by asan tenant export from DIRECTORY.

    Everything is checked first (checksums, every row, the bundle); on any
    problem nothing changes. The tenant must not exist here yet. Imported staff
    have no password until one is set; API tokens must be issued again; plugin
    secrets must be provided on this instance.
    """
    settings = context.settings

    async def run(database: Database) -> ImportReport:
        with ExitStack() as stack:
            return await import_tenant(
                database,
                directory,
                base_domain=settings.base_domain,
                schema_heads=head_revisions(settings),
                progress=_Bar(f"importing {directory}", stack),
            )

    with _problems_listed():
        report = context.run_with_database(run)
    for file, rows in report.rows.items():
        stdout.print(f"{file}: {rows} row(s)", markup=False)
    stdout.print(
        f"{report.code}: imported ({report.status}), exported {report.exported_at} "
        f"by platform {report.platform_version}",
        markup=False,
    )
    if report.staff_accounts:
        stderr.print(
            f"note: {report.staff_accounts} staff account(s) have no password yet and cannot "
            "sign in until one is set; API tokens must be issued again",
            markup=False,
        )
