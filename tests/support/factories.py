"""Row factories. Every tenant-owned model needs one here: the isolation suite
walks all tenant-owned models and fails for any it cannot build."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from asan.applications.models import (
    Application,
    ApplicationAccess,
    ApplicationEvent,
    DeliveryJob,
)
from asan.audit import AuditEvent
from asan.catalogue.models import Agency, CatalogueRevision, Category, Service, ServiceVersion
from asan.db import Base, Database, PlatformScope, utcnow
from asan.identity.models import ApiToken, StaffAccount
from asan.identity.policy_models import PolicyLine, PolicyRevision
from asan.tenancy import Tenant, TenantHostname, TenantStatus
from asan.translations import UiTextOverride, UiTextRevision


async def create_tenant(
    database: Database,
    code: str | None = None,
    *,
    status: TenantStatus = TenantStatus.ACTIVE,
    locales: Sequence[str] = ("en", "fr"),
    hostnames: Sequence[str] = (),
    currency: str = "EUR",
) -> Tenant:
    code = code or f"t{uuid.uuid4().hex[:8]}"
    tenant = Tenant(
        code=code,
        names={locale: f"Tenant {code} ({locale})" for locale in locales},
        default_locale=locales[0],
        locales=list(locales),
        timezone="Europe/Tallinn",
        currency=currency,
        status=status.value,
        plugin_settings={},
        bundle_digest="0" * 64,
        hostnames=[TenantHostname(hostname=name) for name in hostnames],
    )
    async with database.transaction(PlatformScope(reason="test setup")) as session:
        session.add(tenant)
    return tenant


@dataclass(frozen=True)
class TenantOwnedFactory:
    build: Callable[[], Base]
    """A new row, without tenant_id (the session stamps it), with any parent it needs
    attached through relationships."""
    mutation: dict[str, Any] = field(default_factory=dict)
    """Column values an intruder would try to write."""


def _unique_code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _service_version() -> ServiceVersion:
    service = Service(code=_unique_code("service"), status="draft", draft_version=1)
    return ServiceVersion(
        service=service, number=1, state="draft", content={"n": 1}, created_by="factory"
    )


def _application() -> Application:
    now = utcnow()
    return Application(
        reference=_unique_code("REF")[:32],
        idempotency_key=uuid.uuid4().hex,
        request_digest="0" * 64,
        service="factory-service",
        service_version=1,
        agency="factory-agency",
        channel="online",
        locale="en",
        status="submitted",
        applicant={"name": "Factory Person", "national_id": "F0000001"},
        form={},
        submitted_by="citizen",
        submitted_at=now,
        deadline_at=now + timedelta(days=10),
    )


TENANT_OWNED_FACTORIES: dict[type[Base], TenantOwnedFactory] = {
    AuditEvent: TenantOwnedFactory(
        build=lambda: AuditEvent(actor="factory", action="test.created", detail={"n": 1}),
        mutation={"actor": "intruder"},
    ),
    Agency: TenantOwnedFactory(
        build=lambda: Agency(
            code=_unique_code("agency"), kind="public", name={"en": "A"}, description={"en": "A"}
        ),
        mutation={"kind": "private"},
    ),
    Category: TenantOwnedFactory(
        build=lambda: Category(code=_unique_code("category"), position=1, name={"en": "C"}),
        mutation={"position": 99},
    ),
    Service: TenantOwnedFactory(
        build=lambda: Service(code=_unique_code("service"), status="draft"),
        mutation={"status": "retired"},
    ),
    ServiceVersion: TenantOwnedFactory(build=_service_version, mutation={"state": "superseded"}),
    StaffAccount: TenantOwnedFactory(
        build=lambda: StaffAccount(username=_unique_code("user"), password_hash="x"),
        mutation={"active": False},
    ),
    ApiToken: TenantOwnedFactory(
        build=lambda: ApiToken(
            name="kiosk",
            role="operator",
            token_hash=uuid.uuid4().hex,
            created_by="factory",
            created_at=utcnow(),
            expires_at=utcnow() + timedelta(days=1),
        ),
        mutation={"role": "tenant_admin"},
    ),
    PolicyLine: TenantOwnedFactory(
        build=lambda: PolicyLine(position=int(uuid.uuid4().int % 100000), text="sod, a.b, c.d"),
        mutation={"text": "g, intruder, tenant_admin, x"},
    ),
    UiTextOverride: TenantOwnedFactory(
        build=lambda: UiTextOverride(
            locale="en",
            message_id=f"Sign in {uuid.uuid4().hex}",
            text="Log in",
            updated_by="factory",
            updated_at=utcnow(),
        ),
        mutation={"text": "intruder's wording"},
    ),
    PolicyRevision: TenantOwnedFactory(
        build=lambda: PolicyRevision(revision=1), mutation={"revision": 99}
    ),
    CatalogueRevision: TenantOwnedFactory(
        build=lambda: CatalogueRevision(revision=1), mutation={"revision": 99}
    ),
    UiTextRevision: TenantOwnedFactory(
        build=lambda: UiTextRevision(revision=1), mutation={"revision": 99}
    ),
    Application: TenantOwnedFactory(build=_application, mutation={"status": "issued"}),
    ApplicationEvent: TenantOwnedFactory(
        build=lambda: ApplicationEvent(
            application=_application(), kind="note", actor="factory", note="n", detail={}
        ),
        mutation={"note": "forged"},
    ),
    ApplicationAccess: TenantOwnedFactory(
        build=lambda: ApplicationAccess(
            application=_application(), actor="factory", personal_data=True, request_id="r"
        ),
        mutation={"actor": "intruder"},
    ),
    DeliveryJob: TenantOwnedFactory(
        build=lambda: DeliveryJob(
            application=_application(), kind="submit", state="pending", attempts=0, payload={}
        ),
        mutation={"state": "done"},
    ),
}
