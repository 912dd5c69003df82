"""``asan deliveries ...``: dead letters of a tenant, and retrying them by hand."""

from __future__ import annotations

import uuid

import click
from sqlalchemy import select

from asan.applications import outbox
from asan.applications.models import Application, DeliveryJob
from asan.applications.service import ApplicationService
from asan.cli._context import CliContext
from asan.cli._output import cli_actor
from asan.db import Database, TenantScope
from asan.tenancy import TenantRegistry


@click.group()
def deliveries() -> None:
    """Delivery jobs (the outbox) of a tenant."""


@deliveries.command("list")
@click.argument("code")
@click.option(
    "--state", type=click.Choice([outbox.DEAD, outbox.PENDING, outbox.DONE]), default=outbox.DEAD
)
@click.pass_obj
def list_jobs(context: CliContext, code: str, state: str) -> None:
    """Jobs of tenant CODE in STATE (dead letters by default), with their last error."""

    async def run(database: Database) -> list[tuple[DeliveryJob, str]]:
        tenant = await TenantRegistry(database, base_domain=context.settings.base_domain).get(code)
        async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
            rows = await session.execute(
                select(DeliveryJob, Application.reference)
                .join(Application, Application.id == DeliveryJob.application_id)
                .where(DeliveryJob.state == state)
                .order_by(DeliveryJob.next_attempt_at)
            )
            return [(job, reference) for job, reference in rows.all()]

    found = context.run_with_database(run)
    for job, reference in found:
        click.echo(
            f"{job.id}  {reference:<18} {job.kind:<7} attempts {job.attempts:<3} {job.last_error}"
        )
    click.echo(f"{len(found)} {state} job(s) in {code}", err=True)


@deliveries.command()
@click.argument("code")
@click.argument("job_ids", nargs=-1)
@click.option("--all-dead", is_flag=True, help="Retry every dead-lettered job of the tenant.")
@click.pass_obj
def retry(context: CliContext, code: str, job_ids: tuple[str, ...], all_dead: bool) -> None:
    """Make dead-lettered jobs of tenant CODE due again (after the agency was fixed)."""
    if not job_ids and not all_dead:
        raise click.UsageError("name JOB_IDS or give --all-dead")
    try:
        wanted = [uuid.UUID(job) for job in job_ids]
    except ValueError as exc:
        raise click.UsageError(f"not a job id: {exc}") from exc

    async def run(database: Database) -> int:
        settings = context.settings
        tenant = await TenantRegistry(database, base_domain=settings.base_domain).get(code)
        async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
            ids = wanted or list(
                (
                    await session.scalars(
                        select(DeliveryJob.id).where(DeliveryJob.state == outbox.DEAD)
                    )
                ).all()
            )
            service = ApplicationService(session, tenant, secret_key=settings.secret_key)
            for job_id in ids:
                job = await outbox.retry_dead(session, job_id)
                application = await service.find(str(job.application_id))
                service.note(
                    application, cli_actor(), "delivery retried by hand", {"job": str(job_id)}
                )
            return len(ids)

    count = context.run_with_database(run)
    click.echo(f"{count} job(s) of {code} are due again; a worker will deliver them")
