"""Signing in to the console, its language, CSRF and security headers."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from asan.db import Database
from tests.console.support import console_sign_in, csrf_of, post_form
from tests.support.factories import create_tenant
from tests.support.staff import PASSWORD, add_staff


async def test_console_asks_for_sign_in_then_shows_the_areas_the_role_allows(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database, locales=("en", "ar"))
    await add_staff(database, tenant, f"editor@{tenant.code}", "catalogue_editor")
    client = client_for(f"{tenant.code}.localhost")
    first = await client.get("/console/")
    assert first.status_code == 303
    assert first.headers["location"].startswith("/console/sign-in")
    home = await console_sign_in(client, f"editor@{tenant.code}")
    assert home.status_code == 200
    assert 'href="/console/catalogue"' in home.text
    assert 'href="/console/staff"' not in home.text  # not the editor's to see


async def test_wrong_password_is_shown_on_the_form_and_signs_nobody_in(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    await add_staff(database, tenant, f"admin@{tenant.code}", "tenant_admin")
    client = client_for(f"{tenant.code}.localhost")
    form = await client.get("/console/sign-in")
    answer = await client.post(
        "/console/sign-in",
        data={
            "username": f"admin@{tenant.code}",
            "password": "nope",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert answer.status_code == 401
    assert "wrong username or password" in answer.text
    assert "asan_session" not in answer.cookies


async def test_forms_without_the_csrf_token_are_refused(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    await add_staff(database, tenant, f"admin@{tenant.code}", "tenant_admin")
    client = client_for(f"{tenant.code}.localhost")
    await client.get("/console/sign-in")
    refused = await client.post(
        "/console/sign-in", data={"username": f"admin@{tenant.code}", "password": PASSWORD}
    )
    assert refused.status_code == 403
    assert "asan_session" not in refused.cookies
    await console_sign_in(client, f"admin@{tenant.code}")
    forged = await client.post("/console/language", data={"locale": "fr", "csrf_token": "0" * 64})
    assert forged.status_code == 403
    other_site = await client.post(
        "/console/language",
        data={"locale": "fr", "csrf_token": csrf_of((await client.get("/console/")).text)},
        headers={"Origin": "https://evil.example"},
    )
    assert other_site.status_code == 403


async def test_pages_carry_a_strict_content_security_policy(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    page = await client_for(f"{tenant.code}.localhost").get("/console/sign-in")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text  # no inline script anywhere on the page


async def test_chosen_language_is_remembered_at_the_next_sign_in(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database, locales=("en", "ar"))
    await add_staff(database, tenant, f"admin@{tenant.code}", "tenant_admin")
    client = client_for(f"{tenant.code}.localhost")
    await console_sign_in(client, f"admin@{tenant.code}")
    chosen = await post_form(
        client, "/console/", "/console/language", {"locale": "ar", "next": "/console/"}
    )
    assert chosen.status_code == 303
    page = await client.get("/console/")
    assert 'dir="rtl"' in page.text
    assert 'lang="ar"' in page.text
    # Another device: no cookies, Accept-Language English; the account remembers Arabic.
    elsewhere = client_for(f"{tenant.code}.localhost")
    landed = await console_sign_in(elsewhere, f"admin@{tenant.code}")
    assert 'dir="rtl"' in landed.text
