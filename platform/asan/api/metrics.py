"""Prometheus metrics: requests and latency by tenant and route, and the delivery queue.

Labels are bounded on purpose: the route is its template (``/api/v1/applications/{id:str}``),
never the raw path, and the tenant is its code, so a scrape stays small however
many citizens call. ``/metrics`` answers only when asked by address (a pod's IP,
as Prometheus scrapes), never on a tenant's or the base domain's host name, so the
public hosts do not publish per-tenant traffic.
"""

from __future__ import annotations

import ipaddress

from litestar import Response, Router, get
from litestar.config.app import AppConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers import BaseRouteHandler
from litestar.plugins import InitPluginProtocol
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from asan.api.hosts import ServedOn, on
from asan.applications.outbox import queue_depth
from asan.db import Database
from asan.errors import NotFoundError
from asan.i18n import N_
from asan.tenancy.hosts import normalise_host

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """One registry per app (tests build many apps; the global registry would collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "asan_http_requests",
            "HTTP requests answered, by tenant, route template, method and status.",
            ("tenant", "route", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "asan_http_request_duration_seconds",
            "Time to answer, by tenant, route template and method.",
            ("tenant", "route", "method"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue = Gauge(
            "asan_delivery_jobs",
            "Delivery jobs (the outbox) waiting (state=pending) or dead-lettered (state=dead).",
            ("tenant", "state"),
            registry=self.registry,
        )

    def observe(self, tenant: str, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(tenant, route, method, str(status)).inc()
        self.latency.labels(tenant, route, method).observe(seconds)

    async def refresh_queue(self, database: Database) -> None:
        depth = await queue_depth(database)
        self.queue.clear()
        for code, states in depth.items():
            for state, count in states.items():
                self.queue.labels(code, state).set(count)


def _by_address(connection: ASGIConnection, _: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    host = normalise_host(connection.headers.get("host", ""))
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise NotFoundError(N_("no such page here")) from None


@get("/metrics", include_in_schema=False, guards=[_by_address])
async def metrics(state: State) -> Response[bytes]:
    collected: Metrics = state.metrics
    await collected.refresh_queue(state.database)
    return Response(generate_latest(collected.registry), media_type=CONTENT_TYPE_LATEST)


class MetricsPlugin(InitPluginProtocol):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.state["metrics"] = Metrics()
        # In a router, so that Litestar's automatic OPTIONS handler inherits the host too.
        app_config.route_handlers.append(
            Router("/", route_handlers=[metrics], opt={**on(ServedOn.ANY), "permission": "public"})
        )
        return app_config
