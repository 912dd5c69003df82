"""The delivery worker: forwards, polls, retries with backoff, dead-letters, survives death."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from asan.applications.delivery import DeliveryWorker
from asan.applications.models import Application, ApplicationEvent, DeliveryJob
from asan.config import Settings
from asan.db import Database, TenantScope, utcnow
from asan.plugins import AgencyStatus
from tests.applications.support import (
    SENT,
    World,
    body,
    make_world,
    set_plugins,
    worker,
)
from tests.support.staff import sign_in

Clients = Callable[[str], httpx.AsyncClient]


async def submit(client: httpx.AsyncClient) -> dict:
    response = await client.post(
        "/api/v1/applications", json=body(), headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def application(database: Database, world: World, app_id: str) -> Application:
    async with database.transaction(TenantScope(world.tenant.id, world.tenant.code)) as session:
        return (
            await session.scalars(select(Application).where(Application.id == uuid.UUID(app_id)))
        ).one()


async def jobs(database: Database, world: World) -> list[DeliveryJob]:
    async with database.transaction(TenantScope(world.tenant.id, world.tenant.code)) as session:
        return list(
            (await session.scalars(select(DeliveryJob).order_by(DeliveryJob.created_at))).all()
        )


async def drain(delivery: DeliveryWorker) -> int:
    """Run the worker until no job is due (it leases one job per free slot at a time)."""
    total = 0
    while handled := await delivery.run_once():
        total += handled
    return total


async def make_due(database: Database, world: World) -> None:
    async with database.transaction(TenantScope(world.tenant.id, world.tenant.code)) as session:
        await session.execute(
            update(DeliveryJob)
            .where(DeliveryJob.state == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


async def test_an_application_is_forwarded_then_followed_to_ready(
    database: Database, settings: Settings, client_for: Clients
) -> None:
    world = await make_world(database)
    created = await submit(client_for(f"{world.tenant.code}.localhost"))
    delivery = worker(database, settings)
    assert await delivery.run_once() == 1
    forwarded = await application(database, world, created["id"])
    assert forwarded.status == "forwarded"
    assert forwarded.agency_reference == "MEM-1"
    assert [j.kind for j in await jobs(database, world)] == ["submit", "poll"]
    assert world.agency.by_key == {f"{world.tenant.code}:{created['id']}": "MEM-1"}
    world.agency.statuses["MEM-1"] = AgencyStatus.READY
    await make_due(database, world)
    assert await delivery.run_once() == 2 - 1  # the poll job
    ready = await application(database, world, created["id"])
    assert ready.status == "ready"
    done = await jobs(database, world)
    # Ready is not the end: the poll goes on until the result is handed over.
    assert {(j.kind, j.state) for j in done} >= {("submit", "done"), ("poll", "pending")}
    # The applicant has an email: the decision is to be sent to them.
    assert "notify" in [j.kind for j in done]


async def test_retryable_failures_back_off_then_dead_letter(
    database: Database, settings: Settings, client_for: Clients
) -> None:
    world = await make_world(database)
    created = await submit(client_for(f"{world.tenant.code}.localhost"))
    world.agency.failure = "retryable"
    delivery = worker(database, settings)
    attempts = settings.delivery.max_attempts
    waits = []
    for attempt in range(1, attempts + 1):
        await make_due(database, world)
        before = utcnow()
        assert await delivery.run_once() == 1
        (job,) = await jobs(database, world)
        assert job.attempts == attempt
        if attempt < attempts:
            assert job.state == "pending"
            waits.append((job.next_attempt_at - before).total_seconds())
    assert job.state == "dead"
    assert "unavailable" in job.last_error
    # Exponential with jitter: each wait is within [half, all] of base * 2^(n-1), capped.
    for number, wait in enumerate(waits, start=1):
        step = min(600.0, 2.0 * 2 ** (number - 1))
        assert step * 0.5 - 0.1 <= wait <= step + 0.1, (number, wait)
    app = await application(database, world, created["id"])
    assert app.status == "submitted"
    async with database.transaction(TenantScope(world.tenant.id, world.tenant.code)) as session:
        notes = (await session.scalars(select(ApplicationEvent.note))).all()
    assert any("dead-lettered (retries exhausted)" in note for note in notes)


async def test_a_final_refusal_dead_letters_at_once_and_a_person_retries_it(
    database: Database, settings: Settings, client_for: Clients
) -> None:
    world = await make_world(database)
    client = client_for(f"{world.tenant.code}.localhost")
    created = await submit(client)
    world.agency.failure = "final"
    delivery = worker(database, settings)
    assert await delivery.run_once() == 1
    (job,) = await jobs(database, world)
    assert (job.state, job.attempts) == ("dead", 1)
    admin = client_for(f"{world.tenant.code}.localhost")
    await sign_in(admin, f"tenant_admin@{world.tenant.code}")
    dead = (await admin.get("/api/v1/deliveries")).json()
    assert [item["id"] for item in dead["items"]] == [str(job.id)]
    world.agency.failure = None
    retried = await admin.post(f"/api/v1/deliveries/{job.id}/retry")
    assert retried.status_code == 200, retried.text
    assert await delivery.run_once() == 1
    assert (await application(database, world, created["id"])).status == "forwarded"
    operator = client_for(f"{world.tenant.code}.localhost")
    await sign_in(operator, f"operator@{world.tenant.code}")
    assert (await operator.post(f"/api/v1/deliveries/{job.id}/retry")).status_code == 403


async def test_a_worker_that_dies_mid_delivery_loses_nothing_and_the_agency_sees_it_once(
    database: Database, settings: Settings, client_for: Clients
) -> None:
    world = await make_world(database)
    created = await submit(client_for(f"{world.tenant.code}.localhost"))
    doomed = worker(database, settings, name="doomed", lease=timedelta(milliseconds=1))
    # The doomed worker leases the job and calls the agency, but dies before recording it:
    # the agency has the application, the platform does not know yet.
    from asan.applications import outbox

    leased = await outbox.claim(database, "doomed", limit=10, lease=timedelta(milliseconds=1))
    assert len(leased) == 1
    connector = await doomed.host.connector(
        world.tenant.code, (await _record(database, world)).plugin_settings, "civil-registry"
    )
    from asan.applications.delivery import _submission

    app = await application(database, world, created["id"])
    record = await _record(database, world)
    from asan.applications.delivery import _as_dict

    await connector.submit(_submission(record, _as_dict(app)))
    assert world.agency.calls == 1
    # Its lease runs out; another worker takes the job and sends it again, same key.
    survivor = worker(database, settings, plugin_host=doomed.host, name="survivor")
    assert await survivor.run_once() == 1
    assert world.agency.calls == 2
    assert len(world.agency.by_key) == 1  # recorded once
    forwarded = await application(database, world, created["id"])
    assert (forwarded.status, forwarded.agency_reference) == ("forwarded", "MEM-1")


async def _record(database: Database, world: World):
    from asan.tenancy import TenantRegistry

    return await TenantRegistry(database, base_domain="localhost").get(world.tenant.code)


async def test_a_tenant_with_an_unknown_plugin_is_reported_and_others_keep_working(
    database: Database, settings: Settings, client_for: Clients
) -> None:
    broken = await make_world(database)
    healthy = await make_world(database)
    await set_plugins(database, broken.tenant, {"connectors": {"*": {"plugin": "no_such_plugin"}}})
    broken_app = await submit(client_for(f"{broken.tenant.code}.localhost"))
    healthy_app = await submit(client_for(f"{healthy.tenant.code}.localhost"))
    delivery = worker(database, settings)
    problems = await delivery.report_plugin_problems()
    assert broken.tenant.code in problems
    assert "unknown plugin 'no_such_plugin'" in problems[broken.tenant.code][0]
    assert healthy.tenant.code not in problems
    assert await drain(delivery) == 2
    assert (await application(database, healthy, healthy_app["id"])).status == "forwarded"
    stuck = await application(database, broken, broken_app["id"])
    assert stuck.status == "submitted"
    (job,) = await jobs(database, broken)
    assert job.state == "pending"
    assert "unknown plugin" in job.last_error


async def test_agency_jobs_never_cross_tenants(
    database: Database, settings: Settings, client_for: Clients
) -> None:
    first = await make_world(database)
    second = await make_world(database)
    await submit(client_for(f"{first.tenant.code}.localhost"))
    await submit(client_for(f"{second.tenant.code}.localhost"))
    assert await drain(worker(database, settings)) == 2
    (key_one,) = first.agency.by_key
    (key_two,) = second.agency.by_key
    assert key_one.startswith(f"{first.tenant.code}:")
    assert key_two.startswith(f"{second.tenant.code}:")


async def test_the_applicant_hears_of_the_decision_in_their_language(
    database: Database, settings: Settings, client_for: Clients
) -> None:
    world = await make_world(database)
    client = client_for(f"{world.tenant.code}.localhost")
    response = await client.post(
        "/api/v1/applications?lang=fr",
        json=body(),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    created = response.json()
    delivery = worker(database, settings)
    await drain(delivery)
    world.agency.statuses["MEM-1"] = AgencyStatus.READY
    await make_due(database, world)
    SENT.clear()
    await drain(delivery)  # the poll: ready, and a notify job, sent
    (sent,) = [n for n in SENT if created["reference"] in n.subject]
    assert sent.recipient == "leyla@example.org"
    assert sent.locale == "fr"
    assert sent.subject == f"Votre demande {created['reference']} est prête"
    assert "Acte de naissance" in sent.body


async def test_staff_work_queues_follow_role_and_agency(
    database: Database, settings: Settings, client_for: Clients
) -> None:
    world = await make_world(database)
    code = world.tenant.code
    first = await submit(client_for(f"{code}.localhost"))
    second = await submit(client_for(f"{code}.localhost"))
    await drain(worker(database, settings))  # both forwarded
    async with database.transaction(TenantScope(world.tenant.id, code)) as session:
        await session.execute(
            update(Application)
            .where(Application.id == uuid.UUID(second["id"]))
            .values(status="ready")
        )
        from asan.identity.models import StaffAccount

        await session.execute(
            update(StaffAccount)
            .where(StaffAccount.username == f"agency_officer@{code}")
            .values(agency="civil-registry")
        )
    officer = client_for(f"{code}.localhost")
    await sign_in(officer, f"agency_officer@{code}")
    desk = client_for(f"{code}.localhost")
    await sign_in(desk, f"operator@{code}")
    officer_queue = (await officer.get("/api/v1/work-queue")).json()
    desk_queue = (await desk.get("/api/v1/work-queue")).json()
    assert officer_queue["agency"] == "civil-registry"
    assert [item["id"] for item in officer_queue["items"]] == [first["id"]]
    assert [item["id"] for item in desk_queue["items"]] == [second["id"]]


async def test_an_application_withdrawn_before_delivery_is_never_sent(
    database: Database, settings: Settings, client_for: Clients
) -> None:
    world = await make_world(database)
    client = client_for(f"{world.tenant.code}.localhost")
    created = await submit(client)
    withdrawn = await client.post(
        f"/api/v1/applications/{created['reference']}/transitions",
        json={"status": "cancelled", "note": "changed my mind"},
        headers={"X-Application-Secret": created["secret"]},
    )
    assert withdrawn.status_code == 200
    await drain(worker(database, settings))
    assert world.agency.calls == 0
    assert [(j.kind, j.state) for j in await jobs(database, world)] == [("submit", "done")]
    view = (
        await client.get(
            f"/api/v1/applications/{created['reference']}",
            headers={"X-Application-Secret": created["secret"]},
        )
    ).json()
    # The applicant sees the statuses; delivery steps are for staff.
    assert [step["to"] for step in view["timeline"]] == ["submitted", "cancelled"]


async def test_an_agency_closing_it_otherwise_ends_the_poll_and_asks_for_a_person(
    database: Database, settings: Settings, client_for: Clients
) -> None:
    world = await make_world(database)
    created = await submit(client_for(f"{world.tenant.code}.localhost"))
    delivery = worker(database, settings)
    await drain(delivery)
    async with database.transaction(TenantScope(world.tenant.id, world.tenant.code)) as session:
        await session.execute(
            update(Application)
            .where(Application.id == uuid.UUID(created["id"]))
            .values(status="issued")
        )
    world.agency.statuses["MEM-1"] = AgencyStatus.REJECTED
    await make_due(database, world)
    await drain(delivery)
    poll = [j for j in await jobs(database, world) if j.kind == "poll"]
    assert [j.state for j in poll] == ["done"]
    async with database.transaction(TenantScope(world.tenant.id, world.tenant.code)) as session:
        notes = (await session.scalars(select(ApplicationEvent.note))).all()
    assert any("the agency reports rejected; the application here is issued" in n for n in notes)
    assert (await application(database, world, created["id"])).status == "issued"


async def test_an_applicant_the_notifier_cannot_reach_is_skipped_not_dead_lettered(
    database: Database, settings: Settings, client_for: Clients
) -> None:
    world = await make_world(database)
    phone_only = body(
        applicant={"name": "Rauf Əliyev", "national_id": "7QK2L9M", "phone": "+994 50 123 45 67"}
    )
    response = await client_for(f"{world.tenant.code}.localhost").post(
        "/api/v1/applications", json=phone_only, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 201, response.text
    delivery = worker(database, settings)
    await drain(delivery)
    world.agency.statuses["MEM-1"] = AgencyStatus.READY
    await make_due(database, world)
    SENT.clear()
    await drain(delivery)
    assert SENT == []  # an email-only notifier, an applicant with a phone number only
    notify = [j for j in await jobs(database, world) if j.kind == "notify"]
    assert [j.state for j in notify] == ["done"]
    async with database.transaction(TenantScope(world.tenant.id, world.tenant.code)) as session:
        details = (await session.scalars(select(ApplicationEvent.detail))).all()
    assert {"outcome": "not sent: no contact this notifier can reach"} in details
