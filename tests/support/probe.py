"""A plugin the tests add to the app, through the same ``plugins=`` door any
extension uses, to look at what a request's session really is and does."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from litestar import Router, get, post
from litestar.config.app import AppConfig
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.plugins import InitPluginProtocol
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from asan.api.hosts import ServedOn, on
from asan.audit import AuditEvent
from asan.db import current_scope
from asan.tenancy import TenantRecord


class ProbePlugin(InitPluginProtocol):
    def __init__(self) -> None:
        self.blocked: asyncio.Queue[str] = asyncio.Queue()
        """A blocking request puts its tenant here once it has done its work and waits."""
        self.never = asyncio.Event()

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        probe = self

        async def describe(tenant: TenantRecord, db_session: AsyncSession) -> dict[str, Any]:
            setting = None
            if db_session.bind.dialect.name == "postgresql":
                setting = await db_session.scalar(
                    text("SELECT current_setting('asan.tenant_id', true)")
                )
            seen = (await db_session.scalars(select(AuditEvent.tenant_id).distinct())).all()
            scope = current_scope()
            return {
                "tenant": tenant.code,
                "tenant_id": str(tenant.id),
                "scope": scope.label if scope else None,
                "session_class": type(db_session.sync_session).__name__,
                "event_tenants": sorted(str(tenant_id) for tenant_id in seen),
                "postgres_tenant_setting": setting,
            }

        async def block_until_cancelled(tenant: TenantRecord) -> None:
            probe.blocked.put_nowait(tenant.code)
            await probe.never.wait()  # the test cancels the request here

        @get("/events")
        async def read_events(
            tenant: NamedDependency[TenantRecord],
            db_session: NamedDependency[AsyncSession],
            block: FromQuery[bool] = False,
        ) -> dict[str, Any]:
            described = await describe(tenant, db_session)
            if block:
                await block_until_cancelled(tenant)
            return described

        @post("/events")
        async def write_event(
            tenant: NamedDependency[TenantRecord],
            db_session: NamedDependency[AsyncSession],
            block: FromQuery[bool] = False,
        ) -> dict[str, Any]:
            event = AuditEvent(actor="probe", action="probe.write", detail={"block": block})
            db_session.add(event)
            await db_session.flush()
            if block:
                await block_until_cancelled(tenant)
            return {"event_tenant": str(event.tenant_id), **await describe(tenant, db_session)}

        @post("/conflict")
        async def write_conflicting_events(db_session: NamedDependency[AsyncSession]) -> None:
            """Two rows with one primary key: the failure surfaces only at commit."""
            same = uuid.uuid4()
            for _ in range(2):
                db_session.add(AuditEvent(id=same, actor="probe", action="probe.conflict"))

        app_config.route_handlers.append(
            Router(
                "/api/v1/_probe",
                route_handlers=[read_events, write_event, write_conflicting_events],
                # Public: these tests are about tenancy, not about who may call.
                opt={**on(ServedOn.TENANT), "permission": "public"},
            )
        )
        return app_config
