"""The outbox: delivery jobs written with the change that needs them, leased by workers.

``enqueue`` adds a job to the caller's transaction, so the job exists if and
only if the change that needs it committed. Workers lease due jobs with
:func:`claim`; on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several workers
claim at once without waiting on each other or taking the same job. A lease
that runs out (the worker died) makes the job due again.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from asan.applications.errors import JobNotFoundError
from asan.applications.models import DeliveryJob
from asan.db import Database, PlatformScope, mostly_reading, utcnow
from asan.i18n import N_
from asan.tenancy.models import Tenant

PENDING = "pending"
DONE = "done"
DEAD = "dead"

BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 600.0


def enqueue(
    session: AsyncSession,
    application_id: uuid.UUID,
    kind: str,
    *,
    at: datetime | None = None,
    payload: dict[str, Any] | None = None,
) -> DeliveryJob:
    job = DeliveryJob(
        application_id=application_id,
        kind=kind,
        state=PENDING,
        attempts=0,
        next_attempt_at=at or utcnow(),
        payload=payload or {},
    )
    session.add(job)
    return job


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """Exponential, capped, with jitter (half to all of the step), so retries spread out."""
    step = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return timedelta(seconds=step * (rng or random).uniform(0.5, 1.0))


async def claim(
    database: Database, worker: str, *, limit: int, lease: timedelta
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Lease up to ``limit`` due jobs of any tenant; their (tenant_id, id), oldest due first."""
    now = utcnow()
    scope = PlatformScope(reason="delivery worker: lease due jobs", routine=True)
    async with database.transaction(scope) as session:
        due = (
            select(DeliveryJob)
            .where(
                DeliveryJob.state == PENDING,
                DeliveryJob.next_attempt_at <= now,
                or_(DeliveryJob.locked_until.is_(None), DeliveryJob.locked_until < now),
            )
            .order_by(DeliveryJob.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        jobs = (await session.scalars(due)).all()
        for job in jobs:
            job.locked_by = worker
            job.locked_until = now + lease
        return [(job.tenant_id, job.id) for job in jobs]


async def queue_depth(database: Database) -> dict[str, dict[str, int]]:
    """Per tenant code, its pending jobs and dead letters (every tenant, zeros included):
    for ``/metrics`` and ``asan worker --once``."""
    scope = PlatformScope(reason="delivery queue depth", routine=True)
    with mostly_reading():  # beside a request's own transaction when /metrics asks
        async with database.transaction(scope) as session:
            rows = await session.execute(
                select(Tenant.code, DeliveryJob.state, func.count())
                .join(Tenant, Tenant.id == DeliveryJob.tenant_id)
                .where(DeliveryJob.state.in_((PENDING, DEAD)))
                .group_by(Tenant.code, DeliveryJob.state)
            )
            counts = {(code, state): int(count) for code, state, count in rows.all()}
            codes = (await session.scalars(select(Tenant.code))).all()
    return {
        code: {state: counts.get((code, state), 0) for state in (PENDING, DEAD)} for code in codes
    }


async def leased_job(
    session: AsyncSession, job_id: uuid.UUID, worker: str, *, for_update: bool = False
) -> DeliveryJob | None:
    """The job, if this worker still holds an unexpired lease on it.

    ``for_update`` locks the row while the outcome is recorded: a worker whose
    lease ran out cannot record over the worker that took the job since, and
    two cannot record at once.
    """
    query = select(DeliveryJob).where(DeliveryJob.id == job_id)
    if for_update:
        query = query.with_for_update()
    job = (await session.scalars(query)).one_or_none()
    if job is None or job.state != PENDING or job.locked_by != worker:
        return None
    if job.locked_until is None or job.locked_until <= utcnow():
        return None
    return job


def release(job: DeliveryJob) -> None:
    job.locked_by = None
    job.locked_until = None


async def retry_dead(session: AsyncSession, job_id: uuid.UUID) -> DeliveryJob:
    """A person's retry of a dead letter: due now, attempts counted afresh."""
    job = (
        await session.scalars(
            select(DeliveryJob).where(and_(DeliveryJob.id == job_id, DeliveryJob.state == DEAD))
        )
    ).one_or_none()
    if job is None:
        raise JobNotFoundError(N_("no dead-lettered delivery job {job}"), job=str(job_id))
    job.state = PENDING
    job.attempts = 0
    job.next_attempt_at = utcnow()
    job.finished_at = None
    release(job)
    return job
