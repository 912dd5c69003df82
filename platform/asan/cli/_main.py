"""The root command and error reporting."""

from __future__ import annotations

import sys

import click

from asan import __version__
from asan.authz import PolicyError
from asan.catalogue.bundle import CatalogueError
from asan.cli import catalogue as catalogue_commands
from asan.cli import db as db_commands
from asan.cli import deliveries as delivery_commands
from asan.cli import demo as demo_commands
from asan.cli import i18n as i18n_commands
from asan.cli import plugins as plugin_commands
from asan.cli import policy as policy_commands
from asan.cli import serve as serve_commands
from asan.cli import staff as staff_commands
from asan.cli import tenant as tenant_commands
from asan.cli import upgrade as upgrade_commands
from asan.cli import worker as worker_commands
from asan.cli._context import CliContext
from asan.cli._output import stderr
from asan.errors import AsanError
from asan.tenancy import BundleError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show details and tracebacks on errors.")
@click.version_option(__version__, prog_name="asan")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """ASAN Platform: one-stop shops for public services, one tenant per country.

    Settings come from ASAN_* environment variables (see README).
    """
    ctx.obj = CliContext(verbose=verbose)


cli.add_command(serve_commands.serve)
cli.add_command(db_commands.db)
cli.add_command(tenant_commands.tenant)
cli.add_command(demo_commands.demo)
cli.add_command(plugin_commands.plugins)
cli.add_command(catalogue_commands.catalogue)
cli.add_command(i18n_commands.i18n)
cli.add_command(policy_commands.policy)
cli.add_command(staff_commands.staff)
cli.add_command(worker_commands.worker)
cli.add_command(upgrade_commands.upgrade)
cli.add_command(delivery_commands.deliveries)


def _report(exc: AsanError, verbose: bool) -> None:
    if isinstance(exc, BundleError | CatalogueError | PolicyError):
        for problem in exc.problems:
            stderr.print(f"error: {problem}", markup=False)
        stderr.print(f"nothing was changed ({len(exc.problems)} problem(s))", markup=False)
    else:
        stderr.print(f"error: {exc.message}", markup=False)
    if verbose:
        stderr.print_exception()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    verbose = "-v" in args or "--verbose" in args
    try:
        cli.main(args=args, prog_name="asan", standalone_mode=False)
    except click.exceptions.Abort:
        stderr.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AsanError as exc:
        _report(exc, verbose)
        sys.exit(1)
    except Exception as exc:
        stderr.print(f"error: {type(exc).__name__}: {exc}", markup=False)
        if verbose:
            stderr.print_exception()
        else:
            stderr.print("(run with --verbose for details)")
        sys.exit(1)
