"""Host resolution and the tenant's public profile, as a client sees them."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from asan.db import Database
from asan.tenancy import TenantStatus
from tests.support.factories import create_tenant

Clients = Callable[[str], httpx.AsyncClient]


def assert_error_shape(response: httpx.Response, status: int, code: str) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"status", "code", "message", "detail", "request_id"}
    assert (body["status"], body["code"]) == (status, code)
    assert body["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body  # type: ignore[no-any-return]


async def test_profile_on_the_tenant_subdomain(database: Database, client_for: Clients) -> None:
    await create_tenant(database, "zq", locales=("ar", "fr"))
    response = await client_for("zq.localhost").get("/api/v1/tenant")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "code": "zq",
        "names": {"ar": "Tenant zq (ar)", "fr": "Tenant zq (fr)"},
        "locales": ["ar", "fr"],
        "default_locale": "ar",
        "text_direction": {"ar": "rtl", "fr": "ltr"},
        "timezone": "Europe/Tallinn",
        "currency": "EUR",
    }


async def test_profile_on_an_own_hostname_with_port_and_capitals(
    database: Database, client_for: Clients
) -> None:
    await create_tenant(database, "zr", hostnames=["services.example.gov"])
    response = await client_for("Services.Example.GOV:8443").get("/api/v1/tenant")
    assert response.status_code == 200, response.text
    assert response.json()["code"] == "zr"


async def test_unknown_host_is_a_clear_404(client_for: Clients) -> None:
    body = assert_error_shape(
        await client_for("nowhere.localhost").get("/api/v1/tenant"), 404, "tenant_not_found"
    )
    assert "nowhere.localhost" in body["message"]


async def test_suspended_tenant_is_503(database: Database, client_for: Clients) -> None:
    await create_tenant(database, "zs", status=TenantStatus.SUSPENDED)
    assert_error_shape(
        await client_for("zs.localhost").get("/api/v1/tenant"), 503, "tenant_suspended"
    )


async def test_tenant_route_on_the_base_domain_is_404(client_for: Clients) -> None:
    assert_error_shape(await client_for("localhost").get("/api/v1/tenant"), 404, "wrong_host")


async def test_platform_route_on_a_tenant_host_is_404(
    database: Database, client_for: Clients
) -> None:
    await create_tenant(database, "zt")
    assert_error_shape(
        await client_for("zt.localhost").get("/api/v1/platform/tenants"), 404, "wrong_host"
    )


async def test_platform_directory_lists_active_tenants_only(
    database: Database, client_for: Clients
) -> None:
    await create_tenant(database, "zu", hostnames=["zu.example.org"])
    await create_tenant(database, "zv", status=TenantStatus.SUSPENDED)
    response = await client_for("localhost").get("/api/v1/platform/tenants")
    assert response.status_code == 200, response.text
    listed = {entry["code"]: entry for entry in response.json()}
    assert "zv" not in listed
    assert listed["zu"]["hosts"] == ["zu.localhost", "zu.example.org"]


async def test_unknown_route_uses_the_same_error_shape(client_for: Clients) -> None:
    assert_error_shape(await client_for("localhost").get("/api/v1/nothing-here"), 404, "not_found")


async def test_request_id_is_echoed_when_sane_and_replaced_when_not(
    database: Database, client_for: Clients
) -> None:
    await create_tenant(database, "zw")
    client = client_for("zw.localhost")
    sane = await client.get("/api/v1/tenant", headers={"X-Request-ID": "abc-12345678"})
    assert sane.headers["x-request-id"] == "abc-12345678"
    hostile = await client.get("/api/v1/tenant", headers={"X-Request-ID": "bad id\r\n<script>"})
    assert hostile.headers["x-request-id"] != "bad id\r\n<script>"
    assert len(hostile.headers["x-request-id"]) == 32


@pytest.mark.parametrize("host", ["10.0.0.7:8000", "localhost", "unknown.example"])
async def test_probes_answer_on_any_host(client_for: Clients, host: str) -> None:
    assert (await client_for(host).get("/healthz")).json() == {"status": "ok"}
    ready = await client_for(host).get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"


async def test_readyz_is_503_when_the_schema_is_behind(app, client_for: Clients) -> None:  # type: ignore[no-untyped-def]
    app.state.schema_heads = ("a_revision_not_applied",)
    response = await client_for("localhost").get("/readyz")
    assert response.status_code == 503
    assert "asan db upgrade" in response.json()["checks"]["schema"]["problem"]


async def test_readyz_stays_ready_when_the_schema_is_ahead(app, client_for: Clients) -> None:  # type: ignore[no-untyped-def]
    """A rolling upgrade: the new release migrated, this (older) pod keeps serving."""
    app.state.schema_heads = ("0003_identity",)
    app.state.schema_revisions = frozenset({"0001_tenancy", "0002_catalogue", "0003_identity"})
    response = await client_for("localhost").get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["schema"]["note"] == (
        "database is at a newer release's revision"
    )


async def test_openapi_is_served_without_a_cdn(database: Database, client_for: Clients) -> None:
    await create_tenant(database, "zx")
    client = client_for("zx.localhost")
    document = await client.get("/schema/openapi.json")
    assert document.status_code == 200
    assert "/api/v1/tenant" in document.json()["paths"]
    page = await client.get("/schema")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assert "https://" not in page.text
    asset = await client.get("/schema/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert len(asset.content) > 100_000
