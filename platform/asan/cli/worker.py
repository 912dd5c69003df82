"""``asan worker``: carry applications to agencies (the outbox), until told to stop."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

import click

from asan.applications.delivery import DEFAULT_LEASE, DeliveryWorker
from asan.applications.outbox import queue_depth
from asan.cli._context import CliContext
from asan.db import Database
from asan.plugins import PluginHost, discover
from asan.tenancy import TenantRegistry


def make_worker(
    context: CliContext, database: Database, *, lease: float, concurrency: int
) -> DeliveryWorker:
    settings = context.settings
    return DeliveryWorker(
        database,
        settings,
        host=PluginHost(discover(), secrets_dir=settings.secrets_dir, environ=None),
        registry=TenantRegistry(database, base_domain=settings.base_domain),
        lease=timedelta(seconds=lease),
        concurrency=concurrency,
    )


@click.command()
@click.option("--once", is_flag=True, help="Handle the jobs due now, then stop.")
@click.option(
    "--lease",
    default=DEFAULT_LEASE.total_seconds(),
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds a job is held; a worker that dies gives it back after this.",
)
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 256))
@click.pass_obj
def worker(context: CliContext, once: bool, lease: float, concurrency: int) -> None:
    """Deliver applications to agency connectors and messages to notifiers.

    Several workers may run at once (PostgreSQL); each job is leased to one.
    SIGTERM or Ctrl-C stops taking new jobs and finishes the ones in hand.
    """
    pool = max(4, concurrency // 2)

    async def run() -> None:
        database = Database.from_url(context.settings.database.url, pool_size=pool)
        delivery = make_worker(context, database, lease=lease, concurrency=concurrency)
        try:
            problems = await delivery.report_plugin_problems()
            for code, found in sorted(problems.items()):
                for problem in found:
                    click.echo(f"warning: {problem} (tenant {code}'s deliveries wait)", err=True)
            if once:
                total = 0
                while handled := await delivery.run_once():
                    total += handled
                depth = (await queue_depth(database)).values()
                pending = sum(states["pending"] for states in depth)
                dead = sum(states["dead"] for states in depth)
                click.echo(f"handled {total} job(s); pending {pending}, dead {dead}")
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            click.echo(f"worker {delivery.name}: delivering (Ctrl-C to stop)", err=True)
            await delivery.run(stop)
        finally:
            await delivery.host.aclose()
            await database.dispose()

    context.settings  # noqa: B018 - fail on bad settings with one line, before starting
    asyncio.run(run())
