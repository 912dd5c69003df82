"""Applications over HTTP: idempotent submission, validation, who sees what, transitions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from asan.applications.models import Application, DeliveryJob
from asan.db import Database, TenantScope, utcnow
from tests.applications.support import SERVICE, World, body, make_world
from tests.catalogue.support import catalogue_for
from tests.support.staff import sign_in

Clients = Callable[[str], httpx.AsyncClient]


def key() -> str:
    return str(uuid.uuid4())


async def submit(
    client: httpx.AsyncClient, payload: dict | None = None, *, idem: str | None = None
):
    return await client.post(
        "/api/v1/applications", json=payload or body(), headers={"Idempotency-Key": idem or key()}
    )


@pytest.fixture
async def world(database: Database) -> World:
    return await make_world(database)


def host(world: World) -> str:
    return f"{world.tenant.code}.localhost"


async def test_same_key_and_body_give_the_same_application(
    world: World, client_for: Clients, database: Database
) -> None:
    client = client_for(host(world))
    idem = key()
    first = await submit(client, idem=idem)
    assert first.status_code == 201, first.text
    again = await submit(client, idem=idem)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["secret"] == first.json()["secret"]
    assert again.json()["replayed"] is True
    async with database.transaction(TenantScope(world.tenant.id, world.tenant.code)) as session:
        count = len((await session.scalars(select(Application.id))).all())
        jobs = (await session.scalars(select(DeliveryJob))).all()
    assert count == 1
    assert [(job.kind, job.state) for job in jobs] == [("submit", "pending")]


async def test_same_key_with_another_body_is_a_conflict(world: World, client_for: Clients) -> None:
    client = client_for(host(world))
    idem = key()
    assert (await submit(client, idem=idem)).status_code == 201
    other = await submit(
        client, body(form={"full_name": "Someone Else", "delivery": "post"}), idem=idem
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_conflict"


async def test_a_missing_idempotency_key_is_refused(world: World, client_for: Clients) -> None:
    response = await client_for(host(world)).post("/api/v1/applications", json=body())
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["message"]


async def test_form_problems_are_listed_by_field_and_rule(
    world: World, client_for: Clients
) -> None:
    bad = body(
        applicant={"name": "L", "email": "not-an-email"},
        form={"full_name": "x" * 201, "delivery": "drone", "colour": "red"},
    )
    response = await submit(client_for(host(world)), bad)
    assert response.status_code == 422, response.text
    found = {(e["field"], e["rule"]) for e in response.json()["detail"]["errors"]}
    assert found == {
        ("applicant.name", "min_length"),
        ("applicant.national_id", "required"),
        ("applicant.email", "type"),
        ("form.full_name", "max_length"),
        ("form.delivery", "options"),
        ("form.colour", "unknown"),
    }


async def test_problems_come_in_the_request_language(world: World, client_for: Clients) -> None:
    response = await client_for(host(world)).post(
        "/api/v1/applications?lang=fr",
        json=body(form={"delivery": "pickup"}),
        headers={"Idempotency-Key": key()},
    )
    assert response.status_code == 422
    assert response.json()["detail"]["errors"][0]["message"] == "form.full_name : obligatoire"


async def test_unknown_retired_and_wrong_channel_are_clear_errors(
    world: World, client_for: Clients, database: Database
) -> None:
    client = client_for(host(world))
    unknown = await submit(client, body(service="no-such-service"))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "service_not_found")
    by_post = await submit(client, body(channel="mobile_unit"))
    assert (by_post.status_code, by_post.json()["code"]) == (422, "channel_not_offered")
    at_desk = await submit(client, body(channel="service_centre"))
    assert (at_desk.status_code, at_desk.json()["code"]) == (422, "channel_not_offered")
    async with database.transaction(TenantScope(world.tenant.id, world.tenant.code)) as session:
        await catalogue_for(world.tenant, session).retire(SERVICE)
    retired = await submit(client, body())
    assert (retired.status_code, retired.json()["code"]) == (410, "service_retired")


async def test_an_operator_registers_at_a_service_centre(world: World, client_for: Clients) -> None:
    client = client_for(host(world))
    await sign_in(client, f"operator@{world.tenant.code}")
    response = await submit(client, body(channel="service_centre"))
    assert response.status_code == 201, response.text
    assert response.json()["channel"] == "service_centre"


async def test_the_citizen_follows_with_the_secret(world: World, client_for: Clients) -> None:
    client = client_for(host(world))
    created = (await submit(client)).json()
    reference, secret = created["reference"], created["secret"]
    seen = await client.get(
        f"/api/v1/applications/{reference}", headers={"X-Application-Secret": secret}
    )
    assert seen.status_code == 200
    view = seen.json()
    assert view["applicant"]["name"] == "Leyla Məmmədova"
    assert [step["to"] for step in view["timeline"]] == ["submitted"]
    assert view["timeline"][0]["actor"] == "citizen"
    wrong = await client.get(
        f"/api/v1/applications/{reference}", headers={"X-Application-Secret": "WRONG" + secret}
    )
    assert wrong.status_code == 404
    nothing = await client.get(f"/api/v1/applications/{reference}")
    assert nothing.status_code == 404


async def test_personal_data_only_for_roles_that_need_it_and_every_opening_is_recorded(
    world: World, client_for: Clients, database: Database
) -> None:
    code = world.tenant.code
    created = (await submit(client_for(host(world)))).json()
    operator = client_for(host(world))
    await sign_in(operator, f"operator@{code}")
    auditor = client_for(host(world))
    await sign_in(auditor, f"auditor@{code}")
    shown = (await operator.get(f"/api/v1/applications/{created['id']}")).json()
    hidden = (await auditor.get(f"/api/v1/applications/{created['reference']}")).json()
    assert shown["personal_data"] == "shown"
    assert shown["form"] == {"full_name": "Leyla Məmmədova", "delivery": "pickup"}
    assert hidden["personal_data"] == "hidden"
    assert hidden["applicant"] is None
    assert hidden["form"] is None
    log = (await auditor.get(f"/api/v1/applications/{created['id']}/access-log")).json()
    assert [(a["actor"], a["personal_data"]) for a in log["accesses"]] == [
        (f"operator@{code}", True),
        (f"auditor@{code}", False),
    ]
    assert (
        await operator.get(f"/api/v1/applications/{created['id']}/access-log")
    ).status_code == 403


async def test_an_agency_officer_sees_only_their_agency(
    world: World, client_for: Clients, database: Database
) -> None:
    code = world.tenant.code
    from asan.identity.models import StaffAccount

    async with database.transaction(TenantScope(world.tenant.id, code)) as session:
        await session.execute(
            update(StaffAccount)
            .where(StaffAccount.username == f"agency_officer@{code}")
            .values(agency="another-agency")
        )
    created = (await submit(client_for(host(world)))).json()
    officer = client_for(host(world))
    await sign_in(officer, f"agency_officer@{code}")
    assert (await officer.get(f"/api/v1/applications/{created['id']}")).status_code == 404
    listed = (await officer.get("/api/v1/applications")).json()
    assert listed["total"] == 0
    async with database.transaction(TenantScope(world.tenant.id, code)) as session:
        await session.execute(
            update(StaffAccount)
            .where(StaffAccount.username == f"agency_officer@{code}")
            .values(agency="civil-registry")
        )
    officer = client_for(host(world))
    await sign_in(officer, f"agency_officer@{code}")
    assert (await officer.get(f"/api/v1/applications/{created['id']}")).status_code == 200
    assert (await officer.get("/api/v1/applications")).json()["total"] == 1


async def test_staff_and_citizens_move_it_along_the_lifecycle(
    world: World, client_for: Clients, database: Database
) -> None:
    code = world.tenant.code
    created = (await submit(client_for(host(world)))).json()
    async with database.transaction(TenantScope(world.tenant.id, code)) as session:
        await session.execute(
            update(Application)
            .where(Application.id == uuid.UUID(created["id"]))
            .values(status="forwarded")
        )
    officer = client_for(host(world))
    await sign_in(officer, f"agency_officer@{code}")
    operator = client_for(host(world))
    await sign_in(operator, f"operator@{code}")
    path = f"/api/v1/applications/{created['id']}/transitions"
    early = await operator.post(path, json={"status": "issued"})
    assert (early.status_code, early.json()["code"]) == (409, "transition_refused")
    assert (await officer.post(path, json={"status": "in_progress"})).status_code == 200
    assert (
        await officer.post(path, json={"status": "ready", "note": "printed"})
    ).status_code == 200
    issued = await operator.post(path, json={"status": "issued"})
    assert issued.status_code == 200
    timeline = issued.json()["timeline"]
    assert [s["to"] for s in timeline] == ["submitted", "in_progress", "ready", "issued"]
    assert timeline[-1]["actor"] == f"operator@{code}"
    assert issued.json()["closed_at"] is not None
    again = await officer.post(path, json={"status": "rejected"})
    assert again.status_code == 409


async def test_the_citizen_cancels_and_the_agency_is_told(
    world: World, client_for: Clients, database: Database
) -> None:
    client = client_for(host(world))
    created = (await submit(client)).json()
    async with database.transaction(TenantScope(world.tenant.id, world.tenant.code)) as session:
        await session.execute(
            update(Application)
            .where(Application.id == uuid.UUID(created["id"]))
            .values(status="forwarded", agency_reference="AG-1")
        )
    path = f"/api/v1/applications/{created['reference']}/transitions"
    refused = await client.post(
        path, json={"status": "ready"}, headers={"X-Application-Secret": created["secret"]}
    )
    assert refused.status_code == 409
    cancelled = await client.post(
        path,
        json={"status": "cancelled", "note": "moved abroad"},
        headers={"X-Application-Secret": created["secret"]},
    )
    assert cancelled.status_code == 200
    async with database.transaction(TenantScope(world.tenant.id, world.tenant.code)) as session:
        kinds = sorted((await session.scalars(select(DeliveryJob.kind))).all())
    assert kinds == ["cancel", "submit"]


async def test_overdue_applications_are_flagged_and_counted_per_agency(
    world: World, client_for: Clients, database: Database
) -> None:
    client = client_for(host(world))
    late = (await submit(client)).json()
    (await submit(client)).json()
    async with database.transaction(TenantScope(world.tenant.id, world.tenant.code)) as session:
        await session.execute(
            update(Application)
            .where(Application.id == uuid.UUID(late["id"]))
            .values(deadline_at=utcnow() - timedelta(hours=1))
        )
    admin = client_for(host(world))
    await sign_in(admin, f"tenant_admin@{world.tenant.code}")
    overdue = (await admin.get("/api/v1/applications?overdue=true")).json()
    assert [item["id"] for item in overdue["items"]] == [late["id"]]
    assert overdue["items"][0]["overdue"] is True
    counts = (await admin.get("/api/v1/applications/overdue")).json()
    assert counts == {"agencies": [{"agency": "civil-registry", "overdue": 1}]}


async def test_applications_of_one_tenant_are_invisible_on_another(
    database: Database, client_for: Clients
) -> None:
    first = await make_world(database)
    second = await make_world(database)
    created = (await submit(client_for(host(first)))).json()
    intruder = client_for(host(second))
    await sign_in(intruder, f"operator@{second.tenant.code}")
    assert (await intruder.get(f"/api/v1/applications/{created['id']}")).status_code == 404
    assert (
        await intruder.get(
            f"/api/v1/applications/{created['reference']}",
            headers={"X-Application-Secret": created["secret"]},
        )
    ).status_code == 404
    assert (await intruder.get("/api/v1/applications")).json()["total"] == 0
    # Even the same idempotency key makes a separate application in another tenant.
    async with database.transaction(TenantScope(first.tenant.id, first.tenant.code)) as session:
        used = (await session.scalars(select(Application.idempotency_key))).one()
    other = await submit(client_for(host(second)), idem=used)
    assert other.status_code == 201
    assert other.json()["id"] != created["id"]


async def test_a_decider_without_an_agency_sees_nothing(
    world: World, client_for: Clients, database: Database
) -> None:
    code = world.tenant.code
    from asan.identity.models import StaffAccount

    async with database.transaction(TenantScope(world.tenant.id, code)) as session:
        await session.execute(
            update(StaffAccount)
            .where(StaffAccount.username == f"agency_officer@{code}")
            .values(agency=None)
        )
    created = (await submit(client_for(host(world)))).json()
    officer = client_for(host(world))
    await sign_in(officer, f"agency_officer@{code}")
    assert (await officer.get(f"/api/v1/applications/{created['id']}")).status_code == 404
    assert (await officer.get("/api/v1/applications")).json()["total"] == 0
    assert (await officer.get("/api/v1/work-queue")).json()["total"] == 0


async def test_a_malformed_secret_is_just_wrong(world: World, client_for: Clients) -> None:
    client = client_for(host(world))
    created = (await submit(client)).json()
    for secret in ("é".encode("latin-1"), b"x" * 500, created["secret"].lower().encode()):
        response = await client.get(
            f"/api/v1/applications/{created['reference']}",
            headers={"X-Application-Secret": secret},  # type: ignore[dict-item]
        )
        assert response.status_code == 404, secret
    missing = await client.get(
        "/api/v1/applications/ZZ-00000-00000",
        headers={"X-Application-Secret": "é".encode("latin-1")},  # type: ignore[dict-item]
    )
    assert missing.status_code == 404


async def test_leaving_out_the_default_channel_is_the_same_request(
    world: World, client_for: Clients
) -> None:
    client = client_for(host(world))
    idem = key()
    implicit = body()
    del implicit["channel"]
    first = await submit(client, implicit, idem=idem)
    second = await submit(client, body(channel="online"), idem=idem)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
