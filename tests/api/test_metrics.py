"""/metrics: Prometheus text, by tenant and route template, only when asked by address."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from asan.db import Database
from tests.applications.support import make_world

Clients = Callable[[str], httpx.AsyncClient]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_requests_latency_and_queue_by_tenant_and_route(
    database: Database, client_for: Clients
) -> None:
    world = await make_world(database)
    code = world.tenant.code
    client = client_for(f"{code}.localhost")
    for _ in range(3):
        assert (await client.get("/api/v1/services/birth-certificate")).status_code == 200
    assert (await client.get("/api/v1/services/no-such-thing")).status_code == 404
    await client.post(
        "/api/v1/applications",
        json={"service": "birth-certificate"},
        headers={"Idempotency-Key": "k" * 10},
    )
    scraped = await client_for("10.1.2.3:8000").get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    found = samples(scraped.text)
    route = "/api/v1/services/{code}"
    ok = (("method", "GET"), ("route", route), ("status", "200"), ("tenant", code))
    missing = (("method", "GET"), ("route", route), ("status", "404"), ("tenant", code))
    assert found[("asan_http_requests_total", ok)] == 3
    assert found[("asan_http_requests_total", missing)] == 1
    count = (
        "asan_http_request_duration_seconds_count",
        (("method", "GET"), ("route", route), ("tenant", code)),
    )
    assert found[count] == 4
    # The refused application wrote nothing: no job. Both states are reported, at zero.
    assert found[("asan_delivery_jobs", (("state", "pending"), ("tenant", code)))] == 0
    assert found[("asan_delivery_jobs", (("state", "dead"), ("tenant", code)))] == 0


async def test_a_submitted_application_shows_in_the_queue(
    database: Database, client_for: Clients
) -> None:
    world = await make_world(database)
    from tests.applications.support import body

    response = await client_for(f"{world.tenant.code}.localhost").post(
        "/api/v1/applications", json=body(), headers={"Idempotency-Key": "queue-test-1"}
    )
    assert response.status_code == 201
    found = samples((await client_for("127.0.0.1").get("/metrics")).text)
    key = ("asan_delivery_jobs", (("state", "pending"), ("tenant", world.tenant.code)))
    assert found[key] == 1


async def test_metrics_are_not_published_on_public_host_names(
    database: Database, client_for: Clients
) -> None:
    world = await make_world(database)
    for host in (f"{world.tenant.code}.localhost", "localhost", "example.org"):
        assert (await client_for(host).get("/metrics")).status_code == 404, host
