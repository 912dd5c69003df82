"""Benchmark: accepting applications, and delivering them to an agency with 2 workers.

Acceptance (both backends): ``POST /api/v1/applications`` through the real app
(idempotency check, catalogue lookup, form validation, deadline, application
+ timeline event + outbox job in one transaction), against **bare**: a Litestar
handler that inserts the same JSON body into a table of its own with one
statement. Same database, same run, 8 concurrent in-process clients.

Delivery (PostgreSQL, where several workers can run): two ``asan worker``
processes deliver the accepted applications to a signed-webhook agency
(``rest_webhook``'s fake agency, a real HTTP server on 127.0.0.1) while they are
being submitted. Lag is ``delivered (recorded) - submitted`` per application.
Its baseline, **bare**, is the same connector posting the same submissions
straight to the agency with 32 calls in flight: no database, no outbox.

Run with ``make bench`` (ASAN_TEST_DATABASE_URL set for PostgreSQL).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar, post
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from asan.api import create_app
from asan.applications.delivery import _submission
from asan.applications.models import Application, DeliveryJob
from asan.db import Database, PlatformScope, migrate
from asan.logging import configure_logging
from asan.plugins import PluginConfig, discover
from asan.tenancy import TenantRecord, TenantRegistry
from asan_rest_webhook.fake_agency import FakeAgency
from tests.applications.support import body, webhook_tenant
from tests.perf.bench_tenant_request import p
from tests.support.databases import (
    ScratchDatabase,
    create_database,
    drop_database,
    postgres_admin_url,
)

APPLICATIONS = 1000
CONCURRENCY = 8
SECRET_VARIABLE = "ASAN_SECRET_BENCH_AGENCY"  # tenant bench's own variable
POLL_SECONDS = 0.1
STEADY_RATE = 20.0
STEADY_COUNT = 300


def bare_app(owner_url: str) -> Litestar:
    engine = create_async_engine(owner_url)

    @post("/api/v1/applications")
    async def accept(data: dict[str, Any]) -> dict[str, str]:
        identifier = str(uuid.uuid4())
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO bench_bare (id, body) VALUES (:id, :body)"),
                {"id": identifier, "body": str(data)},
            )
        return {"id": identifier}

    return Litestar(route_handlers=[accept], logging_config=None)


async def accept(app: Litestar, host: str, count: int) -> tuple[float, list[float], list[str]]:
    latencies: list[float] = []
    ids: list[str] = []
    remaining = count
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=f"http://{host}"
    ) as client:

        async def client_loop() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                number = remaining
                started = time.perf_counter()
                response = await client.post(
                    "/api/v1/applications",
                    json=body(form={"full_name": f"Applicant {number}", "delivery": "post"}),
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                )
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 201, response.text
                ids.append(response.json()["id"])
                await asyncio.sleep(0)

        started = time.perf_counter()
        await asyncio.gather(*(client_loop() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, ids


async def world(
    scratch: ScratchDatabase, directory: Path, agency: FakeAgency
) -> tuple[Any, Database]:
    settings = scratch.settings(directory)
    configure_logging(settings)
    await asyncio.to_thread(migrate.upgrade, settings)
    database = Database.from_url(scratch.runtime_url, pool_size=CONCURRENCY)
    await webhook_tenant(database, agency.url, SECRET_VARIABLE, code="bench")
    owner = create_async_engine(scratch.owner_url)
    async with owner.begin() as connection:
        await connection.execute(
            text("CREATE TABLE bench_bare (id VARCHAR(36) PRIMARY KEY, body TEXT)")
        )
    await owner.dispose()
    return settings, database


async def lags(database: Database, ids: list[str]) -> list[float]:
    async with database.transaction(PlatformScope(reason="bench")) as session:
        rows = await session.execute(
            select(Application.submitted_at, DeliveryJob.finished_at)
            .join(DeliveryJob, DeliveryJob.application_id == Application.id)
            .where(
                DeliveryJob.kind == "submit",
                DeliveryJob.state == "done",
                Application.id.in_([uuid.UUID(i) for i in ids]),
            )
        )
        return [(done - submitted).total_seconds() for submitted, done in rows.all()]


async def delivered(database: Database) -> int:
    async with database.transaction(PlatformScope(reason="bench")) as session:
        return int(
            await session.scalar(
                select(func.count()).where(
                    DeliveryJob.kind == "submit", DeliveryJob.state == "done"
                )
            )
            or 0
        )


async def bare_delivery(
    agency: FakeAgency, applications: list[Application], tenant: TenantRecord
) -> tuple[float, list[float]]:
    spec = discover().installed["rest_webhook"].spec
    connector: Any = spec.factory(
        PluginConfig(tenant="bench", agency="civil-registry", settings=agency.settings())
    )
    slots = asyncio.Semaphore(32)
    latencies: list[float] = []

    async def one(application: Application) -> None:
        async with slots:
            from asan.applications.delivery import _as_dict

            submission = _submission(tenant, {**_as_dict(application), "id": str(uuid.uuid4())})
            started = time.perf_counter()
            await connector.submit(submission)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(application) for application in applications))
    elapsed = time.perf_counter() - started
    await connector.aclose()
    return len(latencies) / elapsed, latencies


def row(backend: str, what: str, app: str, rate: float, ms: list[float], ratio: str = "") -> None:
    p50, p99 = (p(ms, 50), p(ms, 99)) if len(ms) > 1 else (ms[0] * 1000, ms[0] * 1000)
    print(f"{backend:<11} {what:<9} {app:<10} {rate:>9.0f} {p50:>8.2f} {p99:>8.2f} {ratio:>8}")


def start_workers(
    scratch: ScratchDatabase, directory: Path, secret_key: str, agency: FakeAgency
) -> list[subprocess.Popen[bytes]]:
    environ = {
        **os.environ,
        "ASAN_ENV": "dev",
        "ASAN_VAR_DIR": str(directory),
        "ASAN_SECRET_KEY": secret_key,
        "ASAN_DATABASE_URL": scratch.runtime_url,
        "ASAN_LOG_LEVEL": "WARNING",
        "ASAN_DELIVERY_POLL_SECONDS": str(POLL_SECONDS),
        "ASAN_STATUS_POLL_SECONDS": "3600",
        SECRET_VARIABLE: agency.secret,
    }
    command = [sys.executable, "-c", "from asan.cli import main; main()", "worker"]
    return [
        subprocess.Popen(command, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]


async def wait_delivered(database: Database, count: int) -> float:
    started = time.monotonic()
    while await delivered(database) < count and time.monotonic() - started < 300:  # noqa: ASYNC110 - polls another process's work
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def offered_load(app: Litestar, rate: float, count: int) -> list[str]:
    """``count`` applications at a steady ``rate`` per second (below capacity): lag, not queue."""
    ids: list[str] = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench.localhost"
    ) as client:

        async def one(number: int) -> None:
            response = await client.post(
                "/api/v1/applications",
                json=body(form={"full_name": f"Steady {number}", "delivery": "post"}),
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])

        tasks = []
        for number in range(count):
            tasks.append(asyncio.create_task(one(number)))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)
    return ids


async def run_backend(backend: str, directory: Path) -> None:
    scratch = await asyncio.to_thread(create_database, backend, directory)
    agency = FakeAgency().start()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        settings, database = await world(scratch, directory, agency)
        bare = bare_app(scratch.owner_url)
        bare_rate, bare_latencies, _ = await accept(bare, "bench.localhost", APPLICATIONS)
        app = create_app(settings, database=database)
        rate, latencies, _ = await accept(app, "bench.localhost", APPLICATIONS)
        row(backend, "accept", "bare", bare_rate, bare_latencies)
        row(backend, "accept", "asan", rate, latencies, f"{rate / bare_rate:.2f}x")
        if backend != "postgresql":
            return
        tenant = await TenantRegistry(database, base_domain="localhost").get("bench")
        async with database.transaction(PlatformScope(reason="bench")) as session:
            applications = list((await session.scalars(select(Application))).all())
        bare_send_rate, bare_send = await bare_delivery(agency, applications, tenant)
        # The backlog of accepted applications, drained by two worker processes.
        workers = start_workers(scratch, directory, settings.secret_key, agency)
        drained = await wait_delivered(database, APPLICATIONS)
        row(backend, "backlog", "bare", bare_send_rate, bare_send)
        backlog_rate = APPLICATIONS / drained
        row(
            backend,
            "backlog",
            "asan 2w",
            backlog_rate,
            [drained],
            f"{backlog_rate / bare_send_rate:.2f}x",
        )
        # Lag under a steady load the workers keep up with.
        ids = await offered_load(app, STEADY_RATE, STEADY_COUNT)
        await wait_delivered(database, APPLICATIONS + STEADY_COUNT)
        measured = await lags(database, ids)
        row(backend, "lag", "asan 2w", STEADY_RATE, measured)
        await database.dispose()
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=10)
        agency.stop()
        await asyncio.to_thread(drop_database, scratch)


async def main() -> None:
    backends = ["sqlite"] + (["postgresql"] if postgres_admin_url() else [])
    print(
        f"{APPLICATIONS} applications, {CONCURRENCY} concurrent in-process clients; delivery with "
        "2 asan worker processes (PostgreSQL) to a signed-webhook agency on 127.0.0.1"
    )
    print("accept:  applications accepted per second; ms: request latency")
    print(
        "backlog: the accepted applications delivered per second; ms: bare = the connector's "
        "call (32 in flight, no database), asan = the time two workers took to drain it"
    )
    print(
        f"lag:     submitted -> delivered, at a steady {STEADY_RATE:.0f} applications/s "
        f"(worker poll interval {POLL_SECONDS} s)"
    )
    header = ("backend", "what", "app", "per s", "p50 ms", "p99 ms", "vs bare")
    print("{:<11} {:<9} {:<10} {:>9} {:>8} {:>8} {:>8}".format(*header))
    with tempfile.TemporaryDirectory() as directory:
        for backend in backends:
            path = Path(directory) / backend
            path.mkdir()
            await run_backend(backend, path)
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
