"""``asan i18n ...``: the Babel workflow for the platform's UI strings.

``extract`` -> ``update`` -> (translators edit the ``.po`` files) ->
``compile``; ``coverage CODE`` tells a tenant's team what is still missing
in its languages. Only ``coverage`` needs settings and the database: the
other commands work on files and run in a bare checkout (``make test`` does).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import click

from asan.catalogue.coverage import catalogue_coverage
from asan.cli._context import CliContext
from asan.cli._output import print_json, stderr
from asan.db import Database, TenantScope
from asan.i18n import (
    Coverage,
    CoverageRow,
    LocaleCoverage,
    MessageCatalogueError,
    compile_catalogues,
    extract_messages,
    i18n_directory,
    tenant_coverage,
    update_catalogues,
)
from asan.tenancy import TenantRecord, TenantRegistry

CatalogueTextSource = Callable[[Database, TenantRecord], Awaitable[Iterable[CoverageRow]]]
"""Reads a tenant's catalogue texts as ``(locale, translated, total, gaps)`` rows."""

directory_option = click.option(
    "--directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The catalogue directory (default: ASAN_I18N_DIR, else i18n/ of the checkout).",
)


def _directory(directory: Path | None) -> Path:
    return directory if directory is not None else i18n_directory()


def _report_problems(exc: MessageCatalogueError, what: str) -> click.ClickException:
    for problem in exc.problems:
        stderr.print(f"error: {problem}", markup=False)
    return click.ClickException(f"{what} ({len(exc.problems)} problem(s))")


@click.group()
def i18n() -> None:
    """UI message catalogues: extract, update, compile, coverage."""


@i18n.command()
@directory_option
@click.option(
    "--source-root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Where the paths in babel.cfg start (default: the checkout).",
)
def extract(directory: Path | None, source_root: Path | None) -> None:
    """Write messages.pot from the Python and Jinja2 sources named in babel.cfg.

    The file is left alone when no message changed (only its dates would).
    """
    target = _directory(directory)
    outcome, count = extract_messages(target, source_root)
    click.echo(f"messages.pot: {outcome.value} ({count} messages)")


@i18n.command()
@directory_option
@click.argument("locales", nargs=-1)
def update(directory: Path | None, locales: tuple[str, ...]) -> None:
    """Merge messages.pot into every locale's .po (or those named, creating new ones).

    Changed messages come back fuzzy and count as untranslated until confirmed.
    """
    for locale, outcome in update_catalogues(_directory(directory), locales).items():
        click.echo(f"{locale}: {outcome.value}")


@i18n.command("compile")
@directory_option
@click.argument("locales", nargs=-1)
def compile_command(directory: Path | None, locales: tuple[str, ...]) -> None:
    """Check every .po (plural forms, placeholders) and write the .mo files the platform reads.

    On any problem nothing is written. Fuzzy translations are left out.
    """
    try:
        compiled = compile_catalogues(_directory(directory), locales)
    except MessageCatalogueError as exc:
        raise _report_problems(exc, "nothing was compiled") from exc
    for catalogue in compiled:
        fuzzy = f", {catalogue.fuzzy} fuzzy" if catalogue.fuzzy else ""
        click.echo(
            f"{catalogue.locale}: {catalogue.translated}/{catalogue.total} translated{fuzzy}"
        )


async def _catalogue_texts(
    database: Database, tenant: TenantRecord
) -> list[tuple[str, int, int, list[str]]]:
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        found = await catalogue_coverage(session, tenant.id, tenant.locales)
    return [(c.locale, c.translated, c.total, c.gaps) for c in found]


async def read_coverage(
    database: Database,
    registry: TenantRegistry,
    code: str,
    directory: Path,
    *,
    catalogue_texts: CatalogueTextSource | None = None,
) -> tuple[TenantRecord, list[LocaleCoverage]]:
    """The tenant and, per enabled locale, its UI strings' coverage.

    ``catalogue_texts`` adds the coverage of the tenant's catalogue texts; without it
    the report has the UI strings only.
    """
    tenant = await registry.get(code)
    rows = await catalogue_texts(database, tenant) if catalogue_texts is not None else ()
    report = tenant_coverage(directory, tenant.locales, tenant.default_locale, catalogue_texts=rows)
    return tenant, report


def _coverage_json(coverage: Coverage | None) -> dict[str, Any] | None:
    if coverage is None:
        return None
    return {
        "translated": coverage.translated,
        "total": coverage.total,
        "share": round(coverage.share, 4),
        "gaps": list(coverage.gaps),
    }


def _coverage_text(label: str, coverage: Coverage) -> str:
    return f"{label} {coverage.translated}/{coverage.total} ({coverage.share:.0%})"


@i18n.command()
@click.argument("code")
@directory_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def coverage(context: CliContext, code: str, directory: Path | None, as_json: bool) -> None:
    """Per enabled locale of tenant CODE: the share of UI strings and catalogue texts
    translated, and the gaps."""

    async def read(database: Database) -> tuple[TenantRecord, list[LocaleCoverage]]:
        registry = TenantRegistry(database, base_domain=context.settings.base_domain)
        return await read_coverage(
            database, registry, code, _directory(directory), catalogue_texts=_catalogue_texts
        )

    tenant, report = context.run_with_database(read)
    if as_json:
        print_json(
            {
                "tenant": tenant.code,
                "default_locale": tenant.default_locale,
                "locales": [
                    {
                        "locale": row.locale,
                        "default": row.is_default,
                        "ui": _coverage_json(row.ui),
                        "catalogue": _coverage_json(row.catalogue),
                    }
                    for row in report
                ],
            }
        )
        return
    for row in report:
        label = f"{row.locale} (default)" if row.is_default else row.locale
        parts = [_coverage_text("UI strings", row.ui)]
        if row.catalogue is not None:
            parts.append(_coverage_text("catalogue texts", row.catalogue))
        click.echo(f"{label:<14} {'   '.join(parts)}")
        for title, found in (("UI strings", row.ui), ("catalogue texts", row.catalogue)):
            if found is not None and found.gaps:
                click.echo(f"  missing {title}:")
                for gap in found.gaps:
                    click.echo(f"    {gap}")
