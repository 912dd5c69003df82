"""Application routes: citizens apply and follow; staff work their queues; agencies call back.

Who may see what is decided in :class:`ApplicationService` (a citizen with
the secret; staff by permission and, for an agency's officers, by agency);
routes only say who is asking. Personal data is left out of what staff see
unless they hold ``applications.personal``, and every staff opening is
recorded in the same transaction as the read.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from litestar import Request, Response, Router, get, post
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.plugins import InitPluginProtocol
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from asan.access.authorizer import Authorizer
from asan.api.context import request_id_of
from asan.api.hosts import ServedOn, on
from asan.applications import outbox
from asan.applications.errors import ApplicationNotFoundError, TransitionRefusedError
from asan.applications.lifecycle import Actor, Status
from asan.applications.models import Application, ApplicationEvent, DeliveryJob
from asan.applications.service import CITIZEN, ApplicationService, Viewer
from asan.catalogue.api import BadParameterError, _known, _whole_number
from asan.catalogue.models import Agency
from asan.config import Settings
from asan.db import utcnow
from asan.errors import AsanError, NotFoundError
from asan.i18n import N_, current_locale
from asan.identity.api import principal_of
from asan.plugins import (
    CallbackReceiver,
    CallbackRejectedError,
    PluginHost,
    PluginUnavailableError,
    describe_settings,
)
from asan.tenancy import TenantRecord

SECRET_HEADER = "X-Application-Secret"  # noqa: S105 - a header name
APPLICATION_PERMISSIONS = (
    "applications.read",
    "applications.create",
    "applications.decide",
    "applications.personal",
)


class CallbackRefusedError(AsanError):
    code = "callback_refused"
    status = 401


async def viewer_of(request: Request[Any, Any, Any], tenant: TenantRecord) -> Viewer:
    principal = await principal_of(request)
    if principal is None:
        return CITIZEN
    authorizer: Authorizer = request.app.state.authorizer
    held = frozenset(
        [p for p in APPLICATION_PERMISSIONS if await authorizer.allowed(tenant, principal, p)]
    )
    return Viewer(actor=principal.subject, permissions=held, agency=principal.agency)


def _service(
    request: Request[Any, Any, Any], session: AsyncSession, tenant: TenantRecord
) -> ApplicationService:
    settings: Settings = request.app.state.settings
    return ApplicationService(session, tenant, secret_key=settings.secret_key)


def _locale(tenant: TenantRecord) -> str:
    locale = current_locale()
    return locale if locale in tenant.locales else tenant.default_locale


def _when(moment: datetime | None, tenant: TenantRecord, locale: str) -> str | None:
    if moment is None:
        return None
    return format_datetime(
        moment.astimezone(ZoneInfo(tenant.timezone)), format="medium", locale=locale
    )


def summary(application: Application, tenant: TenantRecord) -> dict[str, Any]:
    locale = _locale(tenant)
    overdue = application.deadline_at < utcnow() and not Status(application.status).closed
    return {
        "id": str(application.id),
        "reference": application.reference,
        "service": application.service,
        "service_version": application.service_version,
        "agency": application.agency,
        "channel": application.channel,
        "status": application.status,
        "submitted_at": application.submitted_at.isoformat(),
        "deadline_at": application.deadline_at.isoformat(),
        "deadline_display": _when(application.deadline_at, tenant, locale),
        "overdue": overdue,
        "closed_at": application.closed_at.isoformat() if application.closed_at else None,
    }


def _event(event: ApplicationEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "kind": event.kind,
        "from": event.status_from,
        "to": event.status_to,
        "actor": event.actor,
        "note": event.note,
        **({"detail": event.detail} if event.detail else {}),
    }


async def full_view(
    service: ApplicationService, application: Application, viewer: Viewer
) -> dict[str, Any]:
    personal = not viewer.is_staff or viewer.holds("applications.personal")
    return {
        **summary(application, service.tenant),
        "locale": application.locale,
        "agency_reference": application.agency_reference,
        "personal_data": "shown" if personal else "hidden",
        "applicant": dict(application.applicant) if personal else None,
        "form": dict(application.form) if personal else None,
        # The applicant follows the status; delivery steps (with agencies' and
        # networks' own words) are for staff.
        "timeline": [
            _event(event)
            for event in await service.timeline(application)
            if viewer.is_staff or event.kind == "status"
        ],
    }


# --- citizens and front desks ----------------------------------------------------------


@post("/applications", status_code=HTTP_201_CREATED, opt={"permission": "public"})
async def submit_application(
    request: Request[Any, Any, Any],
    data: JSONBody[dict[str, Any]],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[dict[str, Any]]:
    """Apply once: the same ``Idempotency-Key`` and body give the same application.

    Online, anyone may apply; at a service centre or mobile unit, staff who hold
    ``applications.create`` register the application for the citizen. The answer
    carries the reference and the secret the citizen follows it with.
    """
    service = _service(request, db_session, tenant)
    viewer = await viewer_of(request, tenant)
    submitted = await service.submit(
        data,
        idempotency_key=request.headers.get("idempotency-key"),
        submitted_by=viewer,
        locale=_locale(tenant),
    )
    body = {
        **summary(submitted.application, tenant),
        "secret": submitted.secret,
        "replayed": not submitted.created,
    }
    return Response(body, status_code=HTTP_201_CREATED if submitted.created else HTTP_200_OK)


@get("/applications/{id:str}", opt={"permission": "public", "writes": True})
async def get_application(
    request: Request[Any, Any, Any],
    id: FromPath[str],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    """One application and its timeline: for its applicant (reference and the
    ``X-Application-Secret`` header) or for staff who may read it (recorded)."""
    service = _service(request, db_session, tenant)
    viewer = await viewer_of(request, tenant)
    application = await service.open_for(
        id,
        viewer,
        secret=request.headers.get(SECRET_HEADER),
        request_id=request_id_of(request.scope),
    )
    return await full_view(service, application, viewer)


@post("/applications/{id:str}/transitions", status_code=HTTP_200_OK, opt={"permission": "public"})
async def move_application(
    request: Request[Any, Any, Any],
    id: FromPath[str],
    data: JSONBody[dict[str, Any]],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    """``{"status": ..., "note": ...}``: the applicant cancels (with the secret); front
    desks hand over (issued) or cancel; agency officers move it along or reject it."""
    service = _service(request, db_session, tenant)
    viewer = await viewer_of(request, tenant)
    raw = data.get("status")
    if raw not in set(Status):
        raise BadParameterError(
            N_("status must be one of {allowed}"),
            allowed=", ".join(Status),
            detail={"field": "status"},
        )
    target = Status(str(raw))
    note = str(data.get("note") or "")[:2000]
    application = await service.open_for(
        id,
        viewer,
        secret=request.headers.get(SECRET_HEADER),
        request_id=request_id_of(request.scope),
        for_update=True,
    )
    if not viewer.is_staff:
        kind = Actor.CITIZEN
    elif target in (Status.IN_PROGRESS, Status.READY, Status.REJECTED) and viewer.holds(
        "applications.decide"
    ):
        kind = Actor.AGENCY_STAFF
    elif viewer.holds("applications.create"):
        kind = Actor.FRONT_DESK
    else:
        raise TransitionRefusedError(
            N_("{actor} may not set an application to {status}"), actor=viewer.actor, status=target
        )
    service.move(
        application,
        target,
        actor_kind=kind,
        actor=viewer.actor,
        note=note,
        agency=viewer.agency_scope,
    )
    return await full_view(service, application, viewer)


# --- staff ------------------------------------------------------------------------------


def _statuses(raw: str | None) -> tuple[Status, ...]:
    if not raw:
        return ()
    return tuple(Status(_known("status", part, tuple(Status)) or "") for part in raw.split(","))


@get("/applications", opt={"permission": "applications.read"})
async def list_applications(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    """Applications soonest deadline first; ``?agency=&status=a,b&overdue=true&limit=&offset=``."""
    viewer = await viewer_of(request, tenant)
    params = request.query_params
    late = _known("overdue", params.get("overdue"), ("true", "false"))
    size = _whole_number("limit", params.get("limit"), 50, 1, 200)
    start = _whole_number("offset", params.get("offset"), 0, 0, 10**9)
    agency = params.get("agency") or None
    total, rows = await _service(request, db_session, tenant).search(
        viewer,
        agency=agency,
        statuses=_statuses(params.get("status")),
        overdue=None if late is None else late == "true",
        limit=size,
        offset=start,
    )
    return {
        "total": total,
        "limit": size,
        "offset": start,
        "items": [summary(a, tenant) for a in rows],
    }


@get("/applications/overdue", opt={"permission": "applications.read"})
async def overdue_applications(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    """Open applications past their deadline, counted per agency."""
    viewer = await viewer_of(request, tenant)
    counts = await _service(request, db_session, tenant).overdue_by_agency(viewer)
    return {"agencies": [{"agency": code, "overdue": n} for code, n in sorted(counts.items())]}


@get("/work-queue", opt={"permission": "applications.read"})
async def work_queue(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    """What the caller's role acts on next, soonest deadline first.

    Agency officers: their agency's forwarded and in-progress applications.
    Front desks: applications ready to hand over. Others: every open one.
    """
    viewer = await viewer_of(request, tenant)
    if viewer.holds("applications.decide"):
        statuses: tuple[Status, ...] = (Status.FORWARDED, Status.IN_PROGRESS)
    elif viewer.holds("applications.create"):
        statuses = (Status.READY,)
    else:
        statuses = (Status.SUBMITTED, Status.FORWARDED, Status.IN_PROGRESS, Status.READY)
    total, rows = await _service(request, db_session, tenant).search(
        viewer, statuses=statuses, limit=100
    )
    return {
        "agency": viewer.agency_scope,
        "statuses": list(statuses),
        "total": total,
        "items": [summary(a, tenant) for a in rows],
    }


@get("/applications/{id:str}/access-log", opt={"permission": "audit.read"})
async def access_log(
    request: Request[Any, Any, Any],
    id: FromPath[str],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    """Every time staff opened the application: who, when, with personal data or not."""
    service = _service(request, db_session, tenant)
    application = await service.find(id)
    return {
        "reference": application.reference,
        "accesses": [
            {
                "actor": row.actor,
                "at": row.at.isoformat(),
                "personal_data": row.personal_data,
                "request_id": row.request_id,
            }
            for row in await service.accesses(application)
        ],
    }


def _job(job: DeliveryJob) -> dict[str, Any]:
    return {
        "id": str(job.id),
        "application_id": str(job.application_id),
        "kind": job.kind,
        "state": job.state,
        "attempts": job.attempts,
        "next_attempt_at": job.next_attempt_at.isoformat(),
        "last_error": job.last_error,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


@get("/deliveries", opt={"permission": "deliveries.retry"})
async def list_deliveries(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> dict[str, Any]:
    """Delivery jobs of one state, dead letters by default (``?state=dead|pending|done``)."""
    chosen = (
        _known(
            "state", request.query_params.get("state"), (outbox.PENDING, outbox.DONE, outbox.DEAD)
        )
        or outbox.DEAD
    )
    rows = await db_session.scalars(
        select(DeliveryJob)
        .where(DeliveryJob.state == chosen)
        .order_by(DeliveryJob.next_attempt_at)
        .limit(200)
    )
    return {"state": chosen, "items": [_job(job) for job in rows.all()]}


@post(
    "/deliveries/{job_id:uuid}/retry",
    status_code=HTTP_200_OK,
    opt={"permission": "deliveries.retry"},
)
async def retry_delivery(
    request: Request[Any, Any, Any],
    job_id: FromPath[uuid.UUID],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    """Send a dead-lettered job again (after the agency or the settings were fixed)."""
    job = await outbox.retry_dead(db_session, job_id)
    service = _service(request, db_session, tenant)
    application = await service.find(str(job.application_id))
    viewer = await viewer_of(request, tenant)
    service.note(application, viewer.actor, "delivery retried by hand", {"job": str(job.id)})
    return _job(job)


# --- connectors -------------------------------------------------------------------------


@get("/connectors", opt={"permission": "settings.read"})
async def list_connectors(state: State, tenant: NamedDependency[TenantRecord]) -> dict[str, Any]:
    """This tenant's plugins: the connector of each agency and the notifier; secrets are only
    "set" or "not set"."""
    host: PluginHost = state.plugin_host
    problems = host.problems(tenant.code, tenant.plugin_settings)
    if problems:
        return {"connectors": {}, "notifier": None, "problems": problems}
    plugins = host.settings_of(tenant.code, tenant.plugin_settings)

    def shown(plugin: str, values: Any) -> dict[str, Any]:
        spec = host.catalogue.installed[plugin].spec
        return {"plugin": plugin, "settings": describe_settings(spec.settings, values)}

    return {
        "connectors": {
            agency: shown(c.plugin, c.values) for agency, c in plugins.connectors.items()
        },
        "notifier": shown(plugins.notifier.plugin, plugins.notifier.values)
        if plugins.notifier
        else None,
        "problems": [],
    }


@post(
    "/connectors/{agency:str}/callback",
    status_code=HTTP_200_OK,
    opt={"permission": "public"},
)
async def connector_callback(
    request: Request[Any, Any, Any],
    agency: FromPath[str],
    state: State,
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> dict[str, Any]:
    """An agency pushes a status change; its connector verifies the request (signature,
    age) before anything is read, and the change is applied like a polled status."""
    host: PluginHost = state.plugin_host
    if await db_session.scalar(select(Agency.id).where(Agency.code == agency)) is None:
        # Before anything is built: an unknown code must cost nothing.
        raise NotFoundError(N_("no agency {agency} here"), agency=agency)
    try:
        connector = await host.connector(tenant.code, tenant.plugin_settings, agency)
    except PluginUnavailableError as exc:
        raise CallbackRefusedError(
            N_("agency {agency} takes no callbacks here"), agency=agency
        ) from exc
    if not isinstance(connector, CallbackReceiver):
        raise CallbackRefusedError(N_("agency {agency} takes no callbacks here"), agency=agency)
    body = await request.body()
    try:
        report = connector.parse_callback(dict(request.headers), body, now=utcnow())
    except CallbackRejectedError as exc:
        raise CallbackRefusedError(N_("callback refused: {reason}"), reason=str(exc)) from exc
    application = (
        await db_session.scalars(
            select(Application)
            .where(
                Application.agency == agency,
                Application.agency_reference == report.agency_reference,
            )
            .with_for_update()
        )
    ).one_or_none()
    if application is None:
        raise ApplicationNotFoundError(N_("no application {id}"), id=report.agency_reference)
    plugin = host.settings_of(tenant.code, tenant.plugin_settings).connector_choice(agency)
    changed = _service(request, db_session, tenant).apply_report(
        application, report, plugin.plugin if plugin else "unknown"
    )
    return {"reference": application.reference, "status": application.status, "changed": changed}


ROUTES = [
    submit_application,
    list_applications,
    overdue_applications,
    get_application,
    move_application,
    access_log,
    work_queue,
    list_deliveries,
    retry_delivery,
    list_connectors,
    connector_callback,
]


class ApplicationsApiPlugin(InitPluginProtocol):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.append(
            Router("/api/v1", route_handlers=ROUTES, opt=on(ServedOn.TENANT), tags=["applications"])
        )
        return app_config
