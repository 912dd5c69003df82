"""Agencies calling back: verified by their connector, applied like a polled status."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select, update

from asan.applications.models import Application
from asan.db import Database, TenantScope
from asan.plugins import PluginHost, discover
from asan_rest_webhook.fake_agency import FakeAgency
from tests.applications.support import World, body, make_world, set_plugins
from tests.support.staff import sign_in

Clients = Callable[[str], httpx.AsyncClient]
SECRET_VARIABLE = "ASAN_SECRET_CB_AGENCY"  # tenant cb's own variable


@pytest.fixture
def agency(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAgency]:
    with FakeAgency() as fake:
        monkeypatch.setenv(SECRET_VARIABLE, fake.secret)
        yield fake


@pytest.fixture
async def world(database: Database, agency: FakeAgency, app: Litestar) -> World:
    app.state.plugin_host = PluginHost(discover(), secrets_dir=Path("/nonexistent"), environ=None)
    made = await make_world(database, code="cb")
    await set_plugins(
        database,
        made.tenant,
        {
            "connectors": {
                "*": {
                    "plugin": "rest_webhook",
                    "base_url": agency.url,
                    "shared_secret": f"env:{SECRET_VARIABLE}",
                }
            }
        },
    )
    return made


async def forwarded(client: httpx.AsyncClient, database: Database, world: World) -> dict:
    created = (
        await client.post(
            "/api/v1/applications", json=body(), headers={"Idempotency-Key": str(uuid.uuid4())}
        )
    ).json()
    async with database.transaction(TenantScope(world.tenant.id, world.tenant.code)) as session:
        await session.execute(
            update(Application)
            .where(Application.id == uuid.UUID(created["id"]))
            .values(status="forwarded", agency_reference="AG-77")
        )
    return created


async def test_a_signed_callback_moves_the_application(
    world: World, agency: FakeAgency, client_for: Clients, database: Database
) -> None:
    client = client_for(f"{world.tenant.code}.localhost")
    created = await forwarded(client, database, world)
    headers, content = agency.signed_callback(
        "civil-registry", "AG-77", status="ready", note="window 4"
    )
    answer = await client.post(
        "/api/v1/connectors/civil-registry/callback", headers=headers, content=content
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"reference": created["reference"], "status": "ready", "changed": True}
    view = (
        await client.get(
            f"/api/v1/applications/{created['reference']}",
            headers={"X-Application-Secret": created["secret"]},
        )
    ).json()
    assert view["timeline"][-1] == {
        "at": view["timeline"][-1]["at"],
        "kind": "status",
        "from": "forwarded",
        "to": "ready",
        "actor": "connector:rest_webhook",
        "note": "window 4",
    }
    # A replayed, older word cannot move it back.
    stale_headers, stale = agency.signed_callback("civil-registry", "AG-77", status="processing")
    again = await client.post(
        "/api/v1/connectors/civil-registry/callback", headers=stale_headers, content=stale
    )
    assert again.json()["changed"] is False
    assert again.json()["status"] == "ready"


async def test_a_tampered_or_unsigned_callback_changes_nothing(
    world: World, agency: FakeAgency, client_for: Clients, database: Database
) -> None:
    client = client_for(f"{world.tenant.code}.localhost")
    await forwarded(client, database, world)
    headers, content = agency.signed_callback("civil-registry", "AG-77", status="rejected")
    tampered = content.replace(b"rejected", b"issued__")
    refused = await client.post(
        "/api/v1/connectors/civil-registry/callback", headers=headers, content=tampered
    )
    assert (refused.status_code, refused.json()["code"]) == (401, "callback_refused")
    unsigned = await client.post(
        "/api/v1/connectors/civil-registry/callback",
        json={"agency_reference": "AG-77", "status": "rejected"},
    )
    assert unsigned.status_code == 401
    # Signed for another agency: refused too (the path is part of what is signed).
    other_headers, other = agency.signed_callback("tax-service", "AG-77", status="rejected")
    crossed = await client.post(
        "/api/v1/connectors/civil-registry/callback", headers=other_headers, content=other
    )
    assert crossed.status_code == 401
    async with database.transaction(TenantScope(world.tenant.id, world.tenant.code)) as session:
        statuses = (await session.scalars(select(Application.status))).all()
    assert statuses == ["forwarded"]


async def test_the_connectors_page_shows_secrets_only_as_set(
    world: World, client_for: Clients
) -> None:
    admin = client_for(f"{world.tenant.code}.localhost")
    await sign_in(admin, f"tenant_admin@{world.tenant.code}")
    shown = (await admin.get("/api/v1/connectors")).json()
    assert shown["problems"] == []
    settings = shown["connectors"]["*"]["settings"]
    assert shown["connectors"]["*"]["plugin"] == "rest_webhook"
    assert settings["shared_secret"] == "set"
    assert SECRET_VARIABLE not in str(shown)
    citizen = client_for(f"{world.tenant.code}.localhost")
    assert (await citizen.get("/api/v1/connectors")).status_code == 401


async def test_a_callback_for_an_unknown_agency_builds_nothing(
    world: World, agency: FakeAgency, client_for: Clients, app: Litestar
) -> None:
    client = client_for(f"{world.tenant.code}.localhost")
    for number in range(5):
        headers, content = agency.signed_callback(f"junk-{number}", "AG-1", status="ready")
        answer = await client.post(
            f"/api/v1/connectors/junk-{number}/callback", headers=headers, content=content
        )
        assert answer.status_code == 404
    assert app.state.plugin_host._built == {}
