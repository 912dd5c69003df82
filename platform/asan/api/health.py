"""Liveness and readiness probes. They answer on any host: probes come by IP."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Response, Router, get
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.plugins import InitPluginProtocol
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from asan.api.hosts import ServedOn, on
from asan.db import Database
from asan.db.migrate import current_revisions


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    """The process is alive and serving; says nothing about the database on purpose."""
    return {"status": "ok"}


@get("/readyz", include_in_schema=False)
async def readyz(state: State) -> Response[dict[str, Any]]:
    """Ready for traffic: the database answers and its schema is not behind the code's.

    A schema ahead of the code is ready: during a rolling upgrade the new
    release has migrated while old pods still serve, and after a rollback the
    database stays ahead; expand-only migrations make both safe.
    """
    database: Database = state.database
    heads: tuple[str, ...] = state.schema_heads
    checks: dict[str, Any] = {"database": "ok", "schema": {"expected": sorted(heads)}}
    ready = True
    try:
        async with database.system_connection() as connection:
            await connection.execute(text("SELECT 1"))
            current = await connection.run_sync(current_revisions)
        checks["schema"]["current"] = sorted(current)
        known: frozenset[str] = state.schema_revisions
        if set(current) != set(heads) and set(current) <= known:
            # Behind: this code needs tables or columns the database does not have yet.
            ready = False
            checks["schema"]["problem"] = (
                "database is not at the migrations' head: run asan db upgrade"
            )
        elif set(current) != set(heads):
            # Ahead (a newer release migrated it, or this pod was rolled back): the
            # revisions only expand, so this release still works; keep serving.
            checks["schema"]["note"] = "database is at a newer release's revision"
    except (SQLAlchemyError, OSError) as exc:
        ready = False
        checks["database"] = f"unreachable: {type(exc).__name__}"
    return Response(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
        media_type=MediaType.JSON,
    )


class HealthPlugin(InitPluginProtocol):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        # In a router, so that Litestar's automatic OPTIONS handlers inherit the host too.
        app_config.route_handlers.append(
            Router(
                "/",
                route_handlers=[healthz, readyz],
                opt={**on(ServedOn.ANY), "permission": "public"},
            )
        )
        return app_config
