"""``asan demo``: what ``make run`` does after installing."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from asan.cli._context import CliContext
from asan.cli.serve import run_server
from asan.cli.tenant import load_bundles
from asan.db import migrate
from asan.errors import ConfigError


@click.command()
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="Start the server once the database is ready.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--reload", is_flag=True, help="Restart the server when the code changes.")
@click.pass_obj
def demo(context: CliContext, serve: bool, host: str, port: int, reload: bool) -> None:
    """Migrate, load every bundle in ASAN_TENANTS_DIR, then serve (dev only)."""
    settings = context.settings
    if settings.is_production:
        raise ConfigError("asan demo loads demo data and is refused when ASAN_ENV=production")
    shown = make_url(settings.database.migration_url).render_as_string(hide_password=True)
    click.echo(f"migrating {shown}", err=True)
    migrate.upgrade(settings)
    report = load_bundles(context, settings.tenants_dir)
    for code, outcome in report.outcomes.items():
        click.echo(
            f"tenant {code}: {outcome.value} -> http://{code}.{settings.base_domain}:{port}/api/v1/tenant",
            err=True,
        )
    if serve:
        run_server(context, host=host, port=port, workers=1, reload=reload)
