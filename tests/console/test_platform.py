"""The central team's console on the base domain: tenants, bundles, suspension, the platform."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from litestar import Litestar

from admin_console.pages.platform_bundles import _note
from asan.access.loading import POLICY_KEPT, POLICY_SEEDED
from asan.catalogue.loading import CATALOGUE_KEPT, seeded_note, seeded_services
from asan.db import Database
from asan.errors import TenantNotFoundError
from asan.tenancy import TenantRegistry, TenantStatus
from tests.console.support import console_sign_in, csrf_of, post_form
from tests.console.support_platform import (
    OPERATOR,
    POLICY_CSV,
    bundle,
    catalogue_yaml,
    load_bundle,
    new_code,
    numbers_in,
    operator_console,
    row_of,
    tenant_toml,
    upload,
)
from tests.support.factories import create_tenant
from tests.support.staff import add_staff

Clients = Callable[[str], httpx.AsyncClient]


def registry_of(app: Litestar) -> TenantRegistry:
    registry: TenantRegistry = app.state.registry
    return registry


async def test_overview_lists_every_tenant_with_its_catalogue_and_last_change(
    app: Litestar, database: Database, client_for: Clients
) -> None:
    loaded = new_code()
    await load_bundle(registry_of(app), loaded)
    empty = await create_tenant(database, status=TenantStatus.SUSPENDED)
    client = await operator_console(database, client_for)

    page = await client.get("/console/tenants")

    assert page.status_code == 200, page.text
    row = row_of(page.text, loaded)
    # published, drafts, agencies, categories: as in the bundle's catalogue.yaml
    assert numbers_in(row) == ["1", "1", "1", "1"]
    assert "policy.changed" in row
    assert ">test<" in row
    # Catalogue texts translated: all in English; the draft service has no French yet.
    assert "(15/15)" in row
    assert "(11/15)" in row
    other = row_of(page.text, empty.code)
    assert numbers_in(other) == ["0", "0", "0", "0"]
    assert "Suspended" in other


async def test_overview_narrows_to_suspended_tenants_in_place_with_htmx(
    database: Database, client_for: Clients
) -> None:
    active = await create_tenant(database)
    suspended = await create_tenant(database, status=TenantStatus.SUSPENDED)
    client = await operator_console(database, client_for)

    fragment = await client.get("/console/tenants?status=suspended", headers={"HX-Request": "true"})

    assert fragment.status_code == 200
    assert "<html" not in fragment.text  # only the table, swapped in place
    assert f'id="tenant-{suspended.code}"' in fragment.text
    assert f'id="tenant-{active.code}"' not in fragment.text
    full = await client.get("/console/tenants?status=suspended")  # the same without JavaScript
    assert "<html" in full.text
    assert f'id="tenant-{active.code}"' not in full.text


async def test_tenant_page_shows_its_settings_gaps_and_plugins(
    app: Litestar, database: Database, client_for: Clients
) -> None:
    code = new_code()
    await load_bundle(registry_of(app), code)
    client = await operator_console(database, client_for)

    page = await client.get(f"/console/tenants/{code}")

    assert page.status_code == 200, page.text
    assert f"{code}.localhost" in page.text
    assert "Europe/Tallinn" in page.text
    assert "services[name-change].name" in page.text  # missing in French
    assert "log_notifier" in page.text
    assert "Suspend this tenant" in page.text
    assert (await client.get("/console/tenants/nosuchtenant")).status_code == 404


async def test_suspending_makes_the_tenant_host_answer_503_and_resuming_restores_it(
    database: Database, client_for: Clients
) -> None:
    tenant = await create_tenant(database)
    public = client_for(f"{tenant.code}.localhost")
    assert (await public.get("/api/v1/tenant")).status_code == 200
    client = await operator_console(database, client_for)
    page = f"/console/tenants/{tenant.code}"

    suspended = await post_form(client, page, f"{page}/suspend")

    assert suspended.status_code == 303
    assert suspended.headers["location"] == page
    shown = await client.get(page)
    assert "is suspended" in shown.text  # the notice confirms it
    assert "Resume this tenant" in shown.text
    assert "tenant.suspended" in shown.text
    assert OPERATOR in shown.text
    answer = await public.get("/api/v1/tenant")
    assert answer.status_code == 503
    assert answer.json()["code"] == "tenant_suspended"

    resumed = await post_form(client, page, f"{page}/resume")

    assert resumed.status_code == 303
    assert "is served again" in (await client.get(page)).text
    assert (await public.get("/api/v1/tenant")).status_code == 200


async def test_a_bad_bundle_shows_every_problem_with_its_file_and_creates_nothing(
    app: Litestar, database: Database, client_for: Clients
) -> None:
    client = await operator_console(database, client_for)
    code = new_code()
    bad_tenant = {"tenant.toml": tenant_toml(code, currency="XXY", timezone="Mars/Base").encode()}

    refused = await upload(client, bad_tenant)

    assert refused.status_code == 422
    assert "nothing was changed" in refused.text
    assert "<code>tenant.toml</code>" in refused.text
    assert "<code>currency</code>" in refused.text
    assert "<code>timezone</code>" in refused.text
    assert "asan-bundle-" not in refused.text  # files named as sent, not in a temporary folder

    bad_catalogue = bundle(code)
    bad_catalogue["catalogue.yaml"] = (
        catalogue_yaml().replace("civil-registry", "nowhere", 1).encode()
    )
    refused = await upload(client, bad_catalogue)
    assert refused.status_code == 422
    assert "<code>catalogue.yaml</code>" in refused.text

    bad_policy = bundle(code)
    bad_policy["policy.csv"] = (POLICY_CSV + "q, what, is, this\n").encode()
    refused = await upload(client, bad_policy)
    assert refused.status_code == 422
    assert "<code>policy.csv</code>" in refused.text
    assert "line 2" in refused.text

    no_file = await upload(client, {})
    assert no_file.status_code == 422
    assert "Choose the bundle" in no_file.text

    with pytest.raises(TenantNotFoundError):
        await registry_of(app).get(code)


async def test_a_good_bundle_creates_the_tenant_whose_host_then_serves_it(
    database: Database, client_for: Clients
) -> None:
    client = await operator_console(database, client_for)
    code = new_code()

    created = await upload(client, bundle(code))

    assert created.status_code == 303, created.text
    assert created.headers["location"] == f"/console/tenants/{code}"
    page = await client.get(created.headers["location"])
    assert f"Tenant {code} was created." in page.text
    assert "Its catalogue was loaded (2 services)." in page.text
    served = await client_for(f"{code}.localhost").get("/api/v1/tenant")
    assert served.status_code == 200, served.text
    assert served.json()["code"] == code

    again = await upload(client, bundle(code))
    assert again.status_code == 303
    notice = (await client.get(again.headers["location"])).text
    assert "nothing changed" in notice
    assert "Its catalogue was kept as it is" in notice


@pytest.mark.parametrize(
    ("note", "sentence"),
    [
        (seeded_note(1), "Its catalogue was loaded (1 service)."),
        (seeded_note(62), "Its catalogue was loaded (62 services)."),
        (CATALOGUE_KEPT, "Its catalogue was kept as it is"),
        (POLICY_SEEDED, "Its roles were set from policy.csv."),
        (POLICY_KEPT, "Its roles were kept as they are"),
    ],
)
def test_every_note_a_bundle_loader_returns_reads_as_a_sentence(note: str, sentence: str) -> None:
    assert _note(note).startswith(sentence)


def test_a_seeded_catalogue_note_gives_back_its_number_of_services() -> None:
    assert seeded_services(seeded_note(30)) == 30
    assert seeded_services(CATALOGUE_KEPT) is None
    assert seeded_services(seeded_note(30) + "!") is None


async def test_platform_page_lists_installed_plugins_and_the_tenants_naming_them(
    app: Litestar, database: Database, client_for: Clients
) -> None:
    code = new_code()
    await load_bundle(registry_of(app), code)
    client = await operator_console(database, client_for)

    page = await client.get("/console/platform")

    assert page.status_code == 200, page.text
    assert "No migration is waiting." in page.text
    row = page.text.split('id="plugin-log_notifier"', 1)[1].split("</tr>", 1)[0]
    assert "asan-log-notifier" in row
    assert f'href="/console/tenants/{code}"' in row
    assert "messages to applicants" in row
    assert 'id="plugin-sandbox_agency"' in page.text  # installed, named by nobody here


async def test_tenant_staff_cannot_use_the_central_console(
    database: Database, client_for: Clients
) -> None:
    tenant = await create_tenant(database)
    await add_staff(database, tenant, f"admin@{tenant.code}", "tenant_admin")
    tenant_host = client_for(f"{tenant.code}.localhost")
    await console_sign_in(tenant_host, f"admin@{tenant.code}")
    # A tenant's host has no central console.
    assert (await tenant_host.get("/console/tenants")).status_code == 404
    assert (await tenant_host.get("/console/platform")).status_code == 404
    token = csrf_of((await tenant_host.get("/console/")).text)
    on_tenant_host = await tenant_host.post(
        f"/console/tenants/{tenant.code}/suspend", data={"csrf_token": token}
    )
    assert on_tenant_host.status_code == 404

    # The tenant admin's session means nothing on the base domain.
    base = client_for("localhost")
    base.cookies.set("asan_session", tenant_host.cookies["asan_session"])
    overview = await base.get("/console/tenants")
    assert overview.status_code == 303
    assert overview.headers["location"].startswith("/console/sign-in")
    refused = await base.post(f"/console/tenants/{tenant.code}/suspend", data={"csrf_token": token})
    assert refused.status_code == 401  # nobody is signed in there, so nothing is suspended
    assert (await tenant_host.get("/api/v1/tenant")).status_code == 200  # still served


async def test_an_operator_session_means_nothing_on_a_tenant_host(
    database: Database, client_for: Clients
) -> None:
    tenant = await create_tenant(database)
    client = await operator_console(database, client_for)
    tenant_host = client_for(f"{tenant.code}.localhost")
    tenant_host.cookies.set("asan_session", client.cookies["asan_session"])
    landed = await tenant_host.get("/console/")
    assert landed.status_code == 303
    assert landed.headers["location"].startswith("/console/sign-in")


async def test_an_htmx_request_without_a_session_loads_the_sign_in_page_itself(
    client_for: Clients,
) -> None:
    client = client_for("localhost")

    plain = await client.get("/console/tenants", follow_redirects=False)
    fragment = await client.get(
        "/console/tenants?status=active", headers={"HX-Request": "true"}, follow_redirects=False
    )

    assert plain.status_code == 303
    assert plain.headers["location"] == "/console/sign-in?next=/console/tenants"
    assert fragment.status_code == 200
    assert fragment.headers["hx-redirect"] == "/console/sign-in?next=/console/tenants"
    assert "location" not in fragment.headers
