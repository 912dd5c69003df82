"""The delivery worker: carries outbox jobs to agencies and notifiers, at least once.

Each job is handled in three steps: read it (and its application) in one
short transaction, call the plugin with no transaction open (an agency may
take seconds), then record the outcome in a second transaction, but only if
this worker still holds the job's lease. A worker killed between the call
and the record loses nothing: the lease runs out, another worker calls again
with the same idempotency key, and the agency answers with the receipt it
gave the first time. So an agency records each application once, however
many workers run and however often they die.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select

from asan.applications import outbox
from asan.applications.lifecycle import FROM_AGENCY, Actor, Status, can_follow
from asan.applications.models import Application, DeliveryJob
from asan.applications.service import ApplicationService
from asan.catalogue.display import localized
from asan.catalogue.models import Service, ServiceVersion
from asan.config import Settings
from asan.db import Database, TenantScope, utcnow
from asan.i18n import N_, gettext, use_locale
from asan.plugins import (
    ConnectorError,
    FinalError,
    Notification,
    PluginHost,
    PluginUnavailableError,
    Receipt,
    StatusReport,
    Submission,
)
from asan.tenancy import TenantRecord, TenantRegistry

log = structlog.get_logger(__name__)

TENANTS_REFRESH_SECONDS = 5.0
DEFAULT_LEASE = timedelta(seconds=180)
"""Longer than any plugin call may take (connector timeouts are capped at 120 s), so an
outcome is not discarded for a lease that ran out while the agency was still answering;
also how long a dead worker's jobs wait before another worker takes them."""
MAX_AGENCY_REFERENCE = 200
"""The width of ``applications.agency_reference``."""
SUSPENDED_RETRY = timedelta(minutes=1)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True, slots=True)
class _Job:
    """What the plugin call needs, read in the first transaction."""

    id: uuid.UUID
    kind: str
    attempts: int
    payload: Mapping[str, Any]
    application: Mapping[str, Any]
    service_name: str


@dataclass(frozen=True, slots=True)
class _Failure:
    message: str
    retryable: bool
    transport_id: str | None = None


class DeliveryWorker:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        host: PluginHost,
        registry: TenantRegistry,
        name: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
        concurrency: int = 16,
        batch: int = 64,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.host = host
        self.registry = registry
        self.name = name or worker_name()
        self.lease = lease
        self.batch = batch
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self._tenants: dict[uuid.UUID, TenantRecord] = {}
        self._tenants_read = 0.0
        self.handled = 0

    # --- running ------------------------------------------------------------------------

    async def report_plugin_problems(self) -> dict[str, list[str]]:
        """Each active tenant's plugin problems, logged; other tenants are not held up."""
        found: dict[str, list[str]] = {}
        for tenant in (await self._refresh_tenants()).values():
            problems = self.host.problems(tenant.code, tenant.plugin_settings)
            if problems:
                found[tenant.code] = problems
                for problem in problems:
                    log.error("tenant plugins cannot start", tenant=tenant.code, problem=problem)
        return found

    async def run_once(self) -> int:
        """Lease one batch of due jobs and handle them; how many were leased."""
        # Never lease more than can start now: a leased job waiting for a slot would
        # see its lease run out while another worker takes it.
        limit = min(self.batch, self.concurrency)
        leased = await outbox.claim(self.database, self.name, limit=limit, lease=self.lease)
        if leased:
            await asyncio.gather(*(self._guarded(tenant, job) for tenant, job in leased))
        return len(leased)

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set: handle due jobs, and wait a little when there are none."""
        try:
            await self.report_plugin_problems()
        except Exception:  # a report is not worth stopping deliveries for
            log.exception("could not check the tenants' plugins at start", worker=self.name)
        log.info("delivery worker started", worker=self.name)
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:  # the loop must survive a database blip
                log.exception("delivery loop failed; retrying", worker=self.name)
                handled = 0
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.delivery.poll_seconds)
        log.info("delivery worker stopped", worker=self.name, handled=self.handled)

    async def _guarded(self, tenant_id: uuid.UUID, job_id: uuid.UUID) -> None:
        async with self._slots:
            tenant = await self._tenant(tenant_id)
            with structlog.contextvars.bound_contextvars(tenant=tenant.code if tenant else "?"):
                try:
                    await self._handle(tenant, tenant_id, job_id)
                    self.handled += 1
                except Exception:
                    # Unexpected (a bug, a lost database): the lease runs out and
                    # the job comes back; nothing is marked done.
                    log.exception("delivery job failed unexpectedly", job=str(job_id))

    # --- tenants ------------------------------------------------------------------------

    async def _refresh_tenants(self) -> dict[uuid.UUID, TenantRecord]:
        self._tenants = {tenant.id: tenant for tenant in await self.registry.list()}
        self._tenants_read = time.monotonic()
        return self._tenants

    async def _tenant(self, tenant_id: uuid.UUID) -> TenantRecord | None:
        if tenant_id not in self._tenants or (
            time.monotonic() - self._tenants_read > TENANTS_REFRESH_SECONDS
        ):
            await self._refresh_tenants()
        return self._tenants.get(tenant_id)

    # --- one job ------------------------------------------------------------------------

    async def _handle(
        self, tenant: TenantRecord | None, tenant_id: uuid.UUID, job_id: uuid.UUID
    ) -> None:
        if tenant is None:
            return  # deleted tenant: its rows went with it
        scope = TenantScope(tenant.id, tenant.code)
        async with self.database.transaction(scope) as session:
            job = await outbox.leased_job(session, job_id, self.name)
            if job is None:
                return
            if not tenant.is_active:
                job.next_attempt_at = utcnow() + SUSPENDED_RETRY
                outbox.release(job)
                return
            application = (
                await session.scalars(
                    select(Application).where(Application.id == job.application_id)
                )
            ).one()
            if (
                job.kind == "submit"
                and application.agency_reference is None
                and (Status(application.status).closed)
            ):
                # Withdrawn or refused before it reached the agency: nothing to send
                # (and no personal data to hand over).
                ApplicationService(session, tenant, secret_key=self.settings.secret_key).note(
                    application, "worker", "not delivered: closed before delivery", {}
                )
                self._done(job, utcnow())
                return
            name = await session.scalar(
                select(ServiceVersion.content["name"])
                .join(Service, Service.id == ServiceVersion.service_id)
                .where(
                    Service.code == application.service,
                    ServiceVersion.number == application.service_version,
                )
            )
            snapshot = _Job(
                id=job.id,
                kind=job.kind,
                attempts=job.attempts,
                payload=dict(job.payload),
                application=_as_dict(application),
                service_name=localized(name or {}, application.locale, tenant.default_locale)
                or application.service,
            )
        outcome: Receipt | StatusReport | str | None = None
        failure: _Failure | None = None
        try:
            outcome = await self._call(tenant, snapshot)
            if isinstance(outcome, Receipt | StatusReport) and not (
                0 < len(outcome.agency_reference) <= MAX_AGENCY_REFERENCE
            ):
                raise FinalError(
                    f"the agency's reference is empty or longer than {MAX_AGENCY_REFERENCE} "
                    "characters"
                )
        except ConnectorError as exc:
            failure = _Failure(str(exc), exc.retryable, exc.transport_id)
        except PluginUnavailableError as exc:
            failure = _Failure(exc.message, retryable=True)
        except Exception as exc:  # a plugin's bug: counted and retried, never silent
            log.exception("plugin call failed unexpectedly", job=str(job_id))
            failure = _Failure(f"unexpected {type(exc).__name__} in the plugin", retryable=True)
        async with self.database.transaction(scope) as session:
            job = await outbox.leased_job(session, job_id, self.name, for_update=True)
            if job is None:
                log.warning("lease lost before the outcome was recorded", job=str(job_id))
                return
            application = (
                await session.scalars(
                    select(Application)
                    .where(Application.id == job.application_id)
                    .with_for_update()
                )
            ).one()
            service = ApplicationService(session, tenant, secret_key=self.settings.secret_key)
            if failure is not None:
                self._failed(service, job, application, failure)
            else:
                self._succeeded(service, job, application, outcome)

    async def _call(self, tenant: TenantRecord, job: _Job) -> Receipt | StatusReport | str | None:
        app = job.application
        if job.kind == "notify":
            return await self._notify(tenant, job)
        connector = await self.host.connector(tenant.code, tenant.plugin_settings, app["agency"])
        if job.kind == "submit":
            return await connector.submit(_submission(tenant, app))
        if job.kind == "poll":
            return await connector.status(app["agency_reference"])
        if job.kind == "cancel":
            return await connector.cancel(
                app["agency_reference"], str(job.payload.get("reason") or "")
            )
        raise ValueError(f"unknown job kind {job.kind!r}")

    async def _notify(self, tenant: TenantRecord, job: _Job) -> str:
        notifier = await self.host.notifier(tenant.code, tenant.plugin_settings)
        app = job.application
        if notifier is None:
            return "no notifier configured"
        contacts = {"email": app["applicant"].get("email"), "sms": app["applicant"].get("phone")}
        channels = self.host.notifier_channels(tenant.plugin_settings)
        recipient = next((contacts[c] for c in channels if contacts.get(c)), None)
        if not recipient:
            return "not sent: no contact this notifier can reach"
        status = job.payload.get("status")
        with use_locale(app["locale"]):
            params = {"reference": app["reference"], "service": job.service_name}
            if status == Status.READY:
                subject = gettext(N_("Your application {reference} is ready"), **params)
                body = gettext(
                    N_(
                        "Your application {reference} for “{service}” is ready. Bring your identity document to collect the result."  # noqa: E501
                    ),
                    **params,
                )
            else:
                subject = gettext(N_("Your application {reference} was not approved"), **params)
                body = gettext(
                    N_(
                        "Your application {reference} for “{service}” was not approved. The reasons are in your application's timeline."  # noqa: E501
                    ),
                    **params,
                )
        await notifier.send(
            Notification(
                tenant=tenant.code,
                recipient=str(recipient),
                locale=app["locale"],
                subject=subject,
                body=body,
            )
        )
        return "sent"

    # --- outcomes -----------------------------------------------------------------------

    def _succeeded(
        self,
        service: ApplicationService,
        job: DeliveryJob,
        application: Application,
        outcome: Receipt | StatusReport | str | None,
    ) -> None:
        now = utcnow()
        plugin = self._plugin_name(service.tenant, application.agency)
        if isinstance(outcome, Receipt):
            application.agency_reference = outcome.agency_reference
            detail = {"agency_reference": outcome.agency_reference, "attempt": job.attempts + 1}
            if outcome.transport_id:
                detail["transport_id"] = outcome.transport_id
            service.note(application, f"connector:{plugin}", "delivered to the agency", detail)
            if can_follow(Status(application.status), Status.FORWARDED):
                service.move(
                    application, Status.FORWARDED, actor_kind=Actor.DELIVERY, actor="worker"
                )
            elif Status(application.status) == Status.CANCELLED:
                outbox.enqueue(service.session, application.id, "cancel", payload={})
            service.apply_report(
                application,
                StatusReport(outcome.agency_reference, outcome.status, outcome.status.value),
                plugin,
            )
            self._done(job, now)
            if not Status(application.status).closed:
                outbox.enqueue(
                    service.session,
                    application.id,
                    "poll",
                    at=now + timedelta(seconds=self.settings.delivery.status_seconds),
                )
        elif isinstance(outcome, StatusReport):
            applied = service.apply_report(application, outcome, plugin)
            agency_closed = outcome.status.final
            if (
                not applied
                and agency_closed
                and FROM_AGENCY[outcome.status] != Status(application.status)
            ):
                # The agency has closed it one way, the platform another (say, handed
                # over at the desk while the agency refused): a person must reconcile.
                service.note(
                    application,
                    f"connector:{plugin}",
                    f"the agency reports {outcome.status.value}; the application here is "
                    f"{application.status}: to be reconciled by staff",
                    {"agency_status": outcome.agency_status},
                )
                self._done(job, now)
            elif job.kind == "poll" and not Status(application.status).closed:
                job.attempts = 0
                job.last_error = ""
                job.next_attempt_at = now + timedelta(seconds=self.settings.delivery.status_seconds)
                outbox.release(job)
            else:
                self._done(job, now)
        else:
            if job.kind == "notify":
                service.note(application, "worker", "notification", {"outcome": outcome or "sent"})
            self._done(job, now)

    def _done(self, job: DeliveryJob, now: datetime) -> None:
        job.state = outbox.DONE
        job.finished_at = now
        outbox.release(job)

    def _failed(
        self,
        service: ApplicationService,
        job: DeliveryJob,
        application: Application,
        failure: _Failure,
    ) -> None:
        now = utcnow()
        job.attempts += 1
        job.last_error = failure.message[:2000]
        detail: dict[str, Any] = {"job": str(job.id), "kind": job.kind, "attempt": job.attempts}
        if failure.transport_id:
            detail["transport_id"] = failure.transport_id
        # Polls never give up (the application is the agency's by then); they back off.
        if failure.retryable and (
            job.kind == "poll" or job.attempts < self.settings.delivery.max_attempts
        ):
            job.next_attempt_at = now + outbox.backoff(job.attempts, rng=self._rng)
            outbox.release(job)
            log.info(
                "delivery will be retried",
                job=str(job.id),
                kind=job.kind,
                attempt=job.attempts,
                error=failure.message,
            )
            return
        job.state = outbox.DEAD
        job.finished_at = now
        outbox.release(job)
        why = "retries exhausted" if failure.retryable else "refused by the agency"
        if job.kind == "cancel":
            why += "; the agency has not confirmed the cancellation"
        service.note(
            application, "worker", f"delivery dead-lettered ({why}): {failure.message}", detail
        )
        log.warning("delivery dead-lettered", job=str(job.id), kind=job.kind, error=failure.message)

    def _plugin_name(self, tenant: TenantRecord, agency: str) -> str:
        try:
            choice = self.host.settings_of(tenant.code, tenant.plugin_settings).connector_choice(
                agency
            )
        except PluginUnavailableError:
            return "unknown"
        return choice.plugin if choice else "unknown"


def _as_dict(application: Application) -> dict[str, Any]:
    return {
        "id": str(application.id),
        "reference": application.reference,
        "idempotency_key": application.idempotency_key,
        "service": application.service,
        "service_version": application.service_version,
        "agency": application.agency,
        "channel": application.channel,
        "locale": application.locale,
        "applicant": dict(application.applicant),
        "form": dict(application.form),
        "submitted_at": application.submitted_at,
        "deadline_at": application.deadline_at,
        "agency_reference": application.agency_reference,
    }


def _submission(tenant: TenantRecord, app: Mapping[str, Any]) -> Submission:
    return Submission(
        idempotency_key=f"{tenant.code}:{app['id']}",
        tenant=tenant.code,
        agency=app["agency"],
        reference=app["reference"],
        service=app["service"],
        service_version=app["service_version"],
        channel=app["channel"],
        locale=app["locale"],
        applicant=app["applicant"],
        form=app["form"],
        submitted_at=app["submitted_at"],
        deadline_at=app["deadline_at"],
    )
