"""Applications: submitting, reading, moving along the lifecycle, and what staff see.

One service for the API, the worker, the console and the CLI. It works in
the caller's transaction (one tenant's scope) and never commits: an
application, its first timeline event and its delivery job are one unit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from asan.applications import outbox
from asan.applications.deadlines import deadline
from asan.applications.errors import (
    ApplicationNotFoundError,
    ChannelNotOfferedError,
    IdempotencyConflictError,
    IdempotencyKeyError,
    ServiceNotOfferedError,
    ServiceRetiredError,
    TransitionRefusedError,
)
from asan.applications.forms import (
    ApplicationInvalidError,
    FieldProblem,
    check_applicant,
    check_form,
)
from asan.applications.lifecycle import FROM_AGENCY, Actor, Status, can_follow, may_set
from asan.applications.models import Application, ApplicationAccess, ApplicationEvent, DeliveryJob
from asan.catalogue.bundle import CHANNELS
from asan.catalogue.models import Service, ServiceStatus, ServiceVersion
from asan.db import utcnow
from asan.i18n import N_
from asan.plugins import StatusReport
from asan.tenancy import TenantRecord

_KEY_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")
_SECRET = re.compile(r"^[A-Z2-7]{16}$")
SECRET_PURPOSE = "asan:application-secret:v1"  # noqa: S105 - a label, not a secret
"""Domain separation: the secret key derives nothing else with this label, and a v2 can
replace it without colliding."""
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
OPEN_STATUSES = (Status.SUBMITTED, Status.FORWARDED, Status.IN_PROGRESS, Status.READY)
NOTIFY_ON = frozenset({Status.READY, Status.REJECTED})


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who asks, and what of ``applications.*`` they hold; the API builds it from the policy."""

    actor: str
    """For the timeline and the access record: ``staff:<name>``, ``token:<id>``, ``citizen``."""
    permissions: frozenset[str] = frozenset()
    agency: str | None = None
    """Set for an agency's own staff: they see that agency's applications only."""

    @property
    def is_staff(self) -> bool:
        return self.actor != "citizen"

    def holds(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def agency_scope(self) -> str | None:
        """The only agency whose applications this viewer may see; None: every agency.

        Whoever decides applications works for one agency: a decider with no
        agency set (an account or token made without one) sees none, rather
        than every agency's (fail closed).
        """
        if self.agency is not None:
            return self.agency
        return NO_AGENCY if self.holds("applications.decide") else None


CITIZEN = Viewer("citizen")
NO_AGENCY = ""
"""Matches no application: the scope of a decider without an agency."""


@dataclass(frozen=True, slots=True)
class Submitted:
    application: Application
    secret: str
    created: bool
    """False: the same key and body came before, and this is that application."""


def _digest(body: Mapping[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _new_reference(code: str) -> str:
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))
    return f"{code.upper()}-{chars[:5]}-{chars[5:]}"


def check_idempotency_key(key: str | None) -> str:
    if key is None or not 8 <= len(key) <= 200 or not set(key) <= _KEY_ALPHABET:
        raise IdempotencyKeyError(
            N_(
                "send an Idempotency-Key header: 8 to 200 letters, digits or -_.: (a UUID is a good choice), the same for every retry of this application"  # noqa: E501
            )
        )
    return key


class ApplicationService:
    def __init__(self, session: AsyncSession, tenant: TenantRecord, *, secret_key: str) -> None:
        self.session = session
        self.tenant = tenant
        self._secret_key = secret_key.encode()

    # --- the citizen's secret ---------------------------------------------------------

    def secret_of(self, application: Application) -> str:
        """The applicant's secret, derived (never stored): the same on every replay.

        HMAC of the tenant and the application under the instance's secret key,
        so a replayed submission can give the same answer without the secret
        being kept anywhere; rotating ``ASAN_SECRET_KEY`` retires every secret.
        """
        message = f"{SECRET_PURPOSE}:{self.tenant.id}:{application.id}".encode()
        digest = hmac.new(self._secret_key, message, hashlib.sha256).digest()
        return base64.b32encode(digest[:10]).decode().rstrip("=")

    def secret_matches(self, application: Application, secret: str | None) -> bool:
        """Constant-time, and the same answer (False) for anything malformed: a caller
        without the secret learns nothing, not even whether the reference exists."""
        if secret is None or not _SECRET.match(secret):
            return False
        return hmac.compare_digest(self.secret_of(application).encode(), secret.encode())

    # --- submitting ---------------------------------------------------------------------

    async def _published(self, code: object) -> tuple[Service, dict[str, Any]]:
        if not isinstance(code, str):
            raise ServiceNotOfferedError(N_("service: required, the code of a published service"))
        service = (
            await self.session.scalars(select(Service).where(Service.code == code))
        ).one_or_none()
        if service is None or service.published_version is None:
            raise ServiceNotOfferedError(N_("no published service {code!r}"), code=code)
        if service.status == ServiceStatus.RETIRED:
            raise ServiceRetiredError(
                N_("service {code!r} is retired and takes no applications"), code=code
            )
        content = await self.session.scalar(
            select(ServiceVersion.content).where(
                ServiceVersion.service_id == service.id,
                ServiceVersion.number == service.published_version,
            )
        )
        assert content is not None
        return service, content

    async def submit(
        self,
        body: Mapping[str, Any],
        *,
        idempotency_key: str | None,
        submitted_by: Viewer,
        locale: str,
    ) -> Submitted:
        """Check everything, then write the application, its event and its delivery job.

        The same key and body give the same application (``created`` False); the
        same key with another body is a conflict. Two racing first requests with
        one key meet at the unique constraint: the loser answers with the winner.
        """
        key = check_idempotency_key(idempotency_key)
        # Defaults filled in first: leaving "channel" out and sending its default is the
        # same request, not a conflict.
        digest = _digest({**body, "channel": body.get("channel", "online")})
        existing = await self._by_key(key)
        if existing is not None:
            return self._replay(existing, digest)
        service, content = await self._published(body.get("service"))
        channel = body.get("channel", "online")
        if channel not in CHANNELS or channel not in content["channels"]:
            raise ChannelNotOfferedError(
                N_(
                    "service {code!r} is not offered through channel {channel!r} (offered: {offered})"  # noqa: E501
                ),
                detail={"errors": [{"field": "channel", "rule": "channels"}]},
                code=service.code,
                channel=str(channel),
                offered=", ".join(content["channels"]),
            )
        if channel != "online" and not submitted_by.holds("applications.create"):
            raise ChannelNotOfferedError(
                N_(
                    "only staff at a service centre or mobile unit register applications through channel {channel!r}"  # noqa: E501
                ),
                channel=str(channel),
            )
        zone = ZoneInfo(self.tenant.timezone)
        today: date = utcnow().astimezone(zone).date()
        applicant, applicant_problems = check_applicant(body.get("applicant"))
        form, form_problems = check_form(content.get("form", []), body.get("form", {}), today=today)
        unknown = sorted(set(body) - {"service", "channel", "applicant", "form"})
        problems = applicant_problems + form_problems
        if unknown:
            problems += [
                FieldProblem(name, "unknown", N_("{field}: not part of an application"))
                for name in unknown
            ]
        if problems:
            raise ApplicationInvalidError(problems)
        now = utcnow()
        application = Application(
            id=uuid.uuid4(),
            reference=_new_reference(self.tenant.code),
            idempotency_key=key,
            request_digest=digest,
            service=service.code,
            service_version=int(service.published_version or 0),
            agency=str(content["agency"]),
            channel=str(channel),
            locale=locale,
            status=Status.SUBMITTED.value,
            applicant=applicant,
            form=form,
            submitted_by=submitted_by.actor,
            submitted_at=now,
            deadline_at=deadline(now, content["processing_time"], self.tenant.timezone),
        )
        try:
            async with self.session.begin_nested():
                self.session.add(application)
                await self.session.flush()
        except IntegrityError:
            winner = await self._by_key(key)
            if winner is None:
                raise
            return self._replay(winner, digest)
        self._event(application, submitted_by.actor, None, Status.SUBMITTED, "")
        outbox.enqueue(self.session, application.id, "submit")
        return Submitted(application, self.secret_of(application), created=True)

    async def _by_key(self, key: str) -> Application | None:
        return (
            await self.session.scalars(
                select(Application).where(Application.idempotency_key == key)
            )
        ).one_or_none()

    def _replay(self, existing: Application, digest: str) -> Submitted:
        if existing.request_digest != digest:
            raise IdempotencyConflictError(
                N_(
                    "this Idempotency-Key was used for another application with a different body; use a new key for a new application"  # noqa: E501
                )
            )
        return Submitted(existing, self.secret_of(existing), created=False)

    # --- reading ------------------------------------------------------------------------

    async def find(self, id_or_reference: str, *, for_update: bool = False) -> Application:
        """``for_update``: lock the row (PostgreSQL) so that concurrent changes queue
        instead of overwriting each other's status."""
        query = select(Application)
        if for_update:
            query = query.with_for_update()
        try:
            query = query.where(Application.id == uuid.UUID(id_or_reference))
        except ValueError:
            query = query.where(Application.reference == id_or_reference.upper())
        found = (await self.session.scalars(query)).one_or_none()
        if found is None:
            raise ApplicationNotFoundError(N_("no application {id}"), id=id_or_reference)
        return found

    async def open_for(
        self,
        id_or_reference: str,
        viewer: Viewer,
        *,
        secret: str | None,
        request_id: str = "",
        for_update: bool = False,
    ) -> Application:
        """The application, if ``viewer`` may see it; staff openings are recorded.

        A citizen needs the secret; staff need ``applications.read`` and, for an
        agency's staff, the application must be their agency's. Anyone else
        gets the same 404 as for a reference that does not exist.
        """
        application = await self.find(id_or_reference, for_update=for_update)
        scope = viewer.agency_scope
        allowed = (
            viewer.is_staff
            and viewer.holds("applications.read")
            and scope in (None, application.agency)
        ) or self.secret_matches(application, secret)
        if not allowed:
            raise ApplicationNotFoundError(N_("no application {id}"), id=id_or_reference)
        if viewer.is_staff:  # however they got in (permission or the citizen's secret)
            self.session.add(
                ApplicationAccess(
                    application_id=application.id,
                    actor=viewer.actor,
                    personal_data=viewer.holds("applications.personal")
                    or self.secret_matches(application, secret),
                    request_id=request_id,
                )
            )
        return application

    async def timeline(self, application: Application) -> list[ApplicationEvent]:
        return list(
            (
                await self.session.scalars(
                    select(ApplicationEvent)
                    .where(ApplicationEvent.application_id == application.id)
                    .order_by(ApplicationEvent.at, ApplicationEvent.id)
                )
            ).all()
        )

    async def accesses(self, application: Application) -> list[ApplicationAccess]:
        return list(
            (
                await self.session.scalars(
                    select(ApplicationAccess)
                    .where(ApplicationAccess.application_id == application.id)
                    .order_by(ApplicationAccess.at)
                )
            ).all()
        )

    async def jobs(self, application: Application) -> list[DeliveryJob]:
        return list(
            (
                await self.session.scalars(
                    select(DeliveryJob)
                    .where(DeliveryJob.application_id == application.id)
                    .order_by(DeliveryJob.created_at)
                )
            ).all()
        )

    async def search(
        self,
        viewer: Viewer,
        *,
        agency: str | None = None,
        statuses: tuple[Status, ...] = (),
        overdue: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[int, list[Application]]:
        """A page of applications, soonest deadline first, within what ``viewer`` may see."""
        query = select(Application)
        if viewer.agency_scope is not None:
            query = query.where(Application.agency == viewer.agency_scope)
        if agency:
            query = query.where(Application.agency == agency)
        if statuses:
            query = query.where(Application.status.in_([s.value for s in statuses]))
        if overdue is not None:
            late = (Application.deadline_at < utcnow()) & Application.status.in_(
                [s.value for s in OPEN_STATUSES]
            )
            query = query.where(late if overdue else ~late)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(
            query.order_by(Application.deadline_at, Application.id).limit(limit).offset(offset)
        )
        return int(total or 0), list(rows.all())

    async def overdue_by_agency(self, viewer: Viewer) -> dict[str, int]:
        query = select(Application.agency, func.count()).where(
            Application.deadline_at < utcnow(),
            Application.status.in_([s.value for s in OPEN_STATUSES]),
        )
        if viewer.agency_scope is not None:
            query = query.where(Application.agency == viewer.agency_scope)
        rows = await self.session.execute(query.group_by(Application.agency))
        return {agency: int(count) for agency, count in rows.all()}

    # --- moving along -------------------------------------------------------------------

    def _event(
        self,
        application: Application,
        actor: str,
        before: Status | None,
        after: Status | None,
        note: str,
        *,
        kind: str = "status",
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            ApplicationEvent(
                application_id=application.id,
                at=utcnow(),
                kind=kind,
                status_from=before.value if before else None,
                status_to=after.value if after else None,
                actor=actor,
                note=note,
                detail=detail or {},
            )
        )

    def note(self, application: Application, actor: str, note: str, detail: dict[str, Any]) -> None:
        """A delivery step on the timeline (sent, retried, dead-lettered)."""
        self._event(application, actor, None, None, note, kind="delivery", detail=detail)

    def move(
        self,
        application: Application,
        target: Status,
        *,
        actor_kind: Actor,
        actor: str,
        note: str = "",
        agency: str | None = None,
    ) -> bool:
        """Move to ``target`` if the rules allow it; False if it is where it is already.

        Side effects go into the same transaction: a cancel after the agency has
        the application becomes a cancel job; a decision the applicant should hear
        of becomes a notify job.
        """
        current = Status(application.status)
        if current == target:
            return False
        if not may_set(actor_kind, target):
            raise TransitionRefusedError(
                N_("{actor} may not set an application to {status}"),
                actor=actor_kind.value,
                status=target.value,
            )
        if agency is not None and agency != application.agency:
            raise ApplicationNotFoundError(N_("no application {id}"), id=application.reference)
        if not can_follow(current, target) or (
            actor_kind == Actor.FRONT_DESK and target == Status.ISSUED and current != Status.READY
        ):
            raise TransitionRefusedError(
                N_("an application that is {current} cannot become {status}"),
                current=current.value,
                status=target.value,
            )
        application.status = target.value
        application.updated_at = utcnow()
        if target.closed:
            application.closed_at = utcnow()
        self._event(application, actor, current, target, note)
        if (
            target == Status.CANCELLED
            and actor_kind != Actor.AGENCY
            and application.agency_reference is not None
        ):
            outbox.enqueue(self.session, application.id, "cancel", payload={"reason": note})
        if target in NOTIFY_ON and (
            application.applicant.get("email") or application.applicant.get("phone")
        ):
            outbox.enqueue(self.session, application.id, "notify", payload={"status": target})
        return True

    def apply_report(self, application: Application, report: StatusReport, plugin: str) -> bool:
        """An agency's word on the application (polled or called back); stale news is ignored."""
        target = FROM_AGENCY[report.status]
        current = Status(application.status)
        if current == target or not can_follow(current, target):
            return False
        note = report.note or report.agency_status
        return self.move(
            application, target, actor_kind=Actor.AGENCY, actor=f"connector:{plugin}", note=note
        )
