"""The console's users and roles: staff accounts, API tokens, the role policy."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from sqlalchemy import func, select

from asan.access.store import save_policy, stored_policy_text
from asan.audit import AuditEvent
from asan.authz import read_policy
from asan.db import Database, TenantScope
from asan.identity.models import ApiToken, StaffAccount
from asan.tenancy import Tenant
from tests.catalogue.support import seed
from tests.console.support import console_sign_in, csrf_of, post_form
from tests.support.factories import create_tenant
from tests.support.staff import PASSWORD, add_staff

NEW_PASSWORD = "a brand new passphrase"


async def _admin_client(
    database: Database, client_for: Callable[[str], httpx.AsyncClient], tenant: Tenant
) -> httpx.AsyncClient:
    await add_staff(database, tenant, f"admin@{tenant.code}", "tenant_admin")
    client = client_for(f"{tenant.code}.localhost")
    await console_sign_in(client, f"admin@{tenant.code}")
    return client


async def _policy(database: Database, tenant: Tenant) -> str:
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        return await stored_policy_text(session, tenant.id) or ""


async def _count(database: Database, tenant: Tenant, model: type[StaffAccount | ApiToken]) -> int:
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _actions(database: Database, tenant: Tenant) -> list[str]:
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        return list((await session.scalars(select(AuditEvent.action))).all())


async def test_admin_adds_a_staff_member_who_can_then_sign_in(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    await seed(database, tenant)
    admin = await _admin_client(database, client_for, tenant)
    form = await admin.get("/console/staff/new")
    assert 'value="agency_officer"' in form.text
    assert "civil-registry" in form.text  # the catalogue's agencies to choose from
    added = await post_form(
        admin,
        "/console/staff/new",
        "/console/staff/new",
        {
            "username": f"leyla@{tenant.code}",
            "display_name": "Leyla Aliyeva",
            "roles": "agency_officer",
            "agency": "civil-registry",
            "password": NEW_PASSWORD,
        },
    )
    assert added.status_code == 303, added.text
    listing = await admin.get("/console/staff")
    assert f"leyla@{tenant.code}" in listing.text
    assert "Leyla Aliyeva" in listing.text
    link = re.search(r'href="(/console/staff/leyla[^"]+)"', listing.text).group(1)  # type: ignore[union-attr]
    member = await admin.get(link)
    assert member.status_code == 200
    assert 'value="civil-registry" selected' in member.text
    assert f"g, leyla@{tenant.code}, agency_officer, {tenant.code}" in await _policy(
        database, tenant
    )
    assert "staff.added" in await _actions(database, tenant)

    newcomer = client_for(f"{tenant.code}.localhost")
    home = await console_sign_in(newcomer, f"leyla@{tenant.code}", NEW_PASSWORD)
    assert home.status_code == 200
    me = (await newcomer.get("/api/v1/auth/me")).json()
    assert me["roles"] == ["agency_officer"]


async def test_a_taken_username_or_short_password_is_shown_on_the_form_and_nothing_is_written(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    admin = await _admin_client(database, client_for, tenant)
    before = await _policy(database, tenant)
    refused = await post_form(
        admin,
        "/console/staff/new",
        "/console/staff/new",
        {"username": f"admin@{tenant.code}", "roles": "auditor", "password": "short"},
    )
    assert refused.status_code in (409, 422)
    assert f"admin@{tenant.code} exists already" in refused.text
    assert "at least 12 characters" in refused.text
    assert 'role="alert"' in refused.text
    officer = await post_form(
        admin,
        "/console/staff/new",
        "/console/staff/new",
        {"username": f"o@{tenant.code}", "roles": "agency_officer", "password": NEW_PASSWORD},
    )
    assert officer.status_code == 422
    assert "agency officer works for one agency" in officer.text
    assert await _count(database, tenant, StaffAccount) == 1
    assert await _policy(database, tenant) == before


async def test_roles_that_break_separation_of_duties_are_refused_on_the_form(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    admin = await _admin_client(database, client_for, tenant)
    page = await admin.get("/console/roles/edit")
    text = await _policy(database, tenant) + "sod, catalogue.draft, catalogue.publish\n"
    saved = await admin.post(
        "/console/roles/edit",
        data={
            "policy": text,
            "action": "save",
            "revision": re.search(r'name="revision" value="(\d+)"', page.text).group(1),  # type: ignore[union-attr]
            "csrf_token": csrf_of(page.text),
        },
    )
    assert saved.status_code == 303, saved.text
    form = await admin.get("/console/staff/new")
    refused = await admin.post(
        "/console/staff/new",
        data={
            "username": f"both@{tenant.code}",
            "roles": ["catalogue_editor", "catalogue_publisher"],
            "password": NEW_PASSWORD,
            "csrf_token": csrf_of(form.text),
        },
    )
    assert refused.status_code == 409
    assert "catalogue.draft and catalogue.publish" in refused.text
    assert await _count(database, tenant, StaffAccount) == 1


async def test_a_suspended_member_is_signed_out_and_cannot_sign_in(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    admin = await _admin_client(database, client_for, tenant)
    await add_staff(database, tenant, f"desk@{tenant.code}", "operator")
    desk = client_for(f"{tenant.code}.localhost")
    await console_sign_in(desk, f"desk@{tenant.code}")
    assert (await desk.get("/api/v1/auth/me")).status_code == 200

    page = f"/console/staff/desk@{tenant.code}"
    suspended = await post_form(admin, page, f"{page}/suspend")
    assert suspended.status_code == 303, suspended.text
    assert (await desk.get("/api/v1/auth/me")).status_code == 401
    assert (await desk.get("/console/")).status_code == 303  # back to the sign-in form
    again = client_for(f"{tenant.code}.localhost")
    form = await again.get("/console/sign-in")
    refused = await again.post(
        "/console/sign-in",
        data={
            "username": f"desk@{tenant.code}",
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
        },
    )
    assert refused.status_code == 401
    assert "Suspended" in (await admin.get("/console/staff")).text
    assert "staff.suspended" in await _actions(database, tenant)

    own = f"/console/staff/admin@{tenant.code}"
    myself = await post_form(admin, own, f"{own}/suspend")
    assert myself.status_code == 422
    assert "cannot suspend your own account" in myself.text

    back = await post_form(admin, page, f"{page}/reactivate")
    assert back.status_code == 303
    assert (await console_sign_in(again, f"desk@{tenant.code}")).status_code == 200


async def test_changed_roles_show_in_the_policy_and_the_matrix(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    admin = await _admin_client(database, client_for, tenant)
    await add_staff(database, tenant, f"desk@{tenant.code}", "operator")
    page = f"/console/staff/desk@{tenant.code}"
    changed = await post_form(admin, page, f"{page}/roles", {"roles": "auditor"})
    assert changed.status_code == 303, changed.text
    policy = await _policy(database, tenant)
    assert f"g, desk@{tenant.code}, auditor, {tenant.code}" in policy
    assert f"g, desk@{tenant.code}, operator" not in policy
    roles = await admin.get("/console/roles")
    assert f"g, desk@{tenant.code}, auditor, {tenant.code}" in roles.text
    assert '<th scope="col">auditor</th>' in roles.text
    assert '<th scope="row"><code>audit.read</code></th>' in roles.text
    assert "staff.roles_changed" in await _actions(database, tenant)
    member = await admin.get(page)
    assert 'value="auditor" checked' in member.text

    # Removing the last holder of policy.edit is refused, nothing written.
    own = f"/console/staff/admin@{tenant.code}"
    lockout = await post_form(admin, own, f"{own}/roles", {"roles": "auditor"})
    assert lockout.status_code == 409
    assert "nobody" in lockout.text
    assert f"g, admin@{tenant.code}, tenant_admin" in await _policy(database, tenant)


async def test_a_staff_manager_without_policy_edit_cannot_grant_or_touch_admins(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    await add_staff(database, tenant, f"admin@{tenant.code}", "tenant_admin")
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        from asan.access.store import save_policy
        from asan.authz import read_policy

        text = (await stored_policy_text(session, tenant.id) or "") + (
            f"p, people_desk, {tenant.code}, staff, read\n"
            f"p, people_desk, {tenant.code}, staff, manage\n"
            f"p, people_desk, {tenant.code}, applications, read\n"
        )
        await save_policy(
            session,
            tenant.id,
            read_policy(text, source="test", domain=tenant.code),
            actor="test",
            reason="test",
        )
    await add_staff(database, tenant, f"hr@{tenant.code}", "people_desk")
    hr = client_for(f"{tenant.code}.localhost")
    await console_sign_in(hr, f"hr@{tenant.code}")
    escalate = await post_form(
        hr,
        "/console/staff/new",
        "/console/staff/new",
        {"username": f"boss@{tenant.code}", "roles": "tenant_admin", "password": NEW_PASSWORD},
    )
    assert escalate.status_code == 403
    assert "tenant_admin" in escalate.text
    admin_page = f"/console/staff/admin@{tenant.code}"
    takeover = await post_form(hr, admin_page, f"{admin_page}/password", {"password": NEW_PASSWORD})
    assert takeover.status_code == 403
    assert await _count(database, tenant, StaffAccount) == 2


async def test_a_token_is_shown_once_works_as_bearer_and_stops_when_revoked(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    admin = await _admin_client(database, client_for, tenant)
    issued = await post_form(
        admin,
        "/console/tokens",
        "/console/tokens",
        {"name": "kiosk 1", "role": "auditor", "expires_in_days": "30"},
    )
    assert issued.status_code == 201, issued.text
    assert "will not be shown again" in issued.text
    token = re.search(r'id="issued-token-value"[^>]*value="([^"]+)"', issued.text).group(1)  # type: ignore[union-attr]
    listing = await admin.get("/console/tokens")
    assert "kiosk 1" in listing.text
    assert token not in listing.text

    machine = client_for(f"{tenant.code}.localhost")
    machine.headers["Authorization"] = f"Bearer {token}"
    assert (await machine.get("/api/v1/policy")).status_code == 200  # auditors read it

    too_long = await post_form(
        admin,
        "/console/tokens",
        "/console/tokens",
        {"name": "board", "role": "auditor", "expires_in_days": "400"},
    )
    assert too_long.status_code == 422
    assert "1 to 366 days" in too_long.text
    unknown = await post_form(
        admin, "/console/tokens", "/console/tokens", {"name": "x", "role": "emperor"}
    )
    assert unknown.status_code == 422
    assert await _count(database, tenant, ApiToken) == 1

    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        token_id = await session.scalar(select(ApiToken.id))
    revoked = await post_form(admin, "/console/tokens", f"/console/tokens/{token_id}/revoke")
    assert revoked.status_code == 303
    assert (await machine.get("/api/v1/policy")).status_code == 401


async def test_a_broken_policy_line_is_shown_with_its_number_and_nothing_is_saved(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    admin = await _admin_client(database, client_for, tenant)
    before = await _policy(database, tenant)
    page = await admin.get("/console/roles/edit")
    broken = before + "p, only, three\n"
    line = len(before.splitlines()) + 1
    fields = {"policy": broken, "csrf_token": csrf_of(page.text), "revision": "1"}
    checked = await admin.post(
        "/console/roles/edit", data={**fields, "action": "check"}, headers={"HX-Request": "true"}
    )
    assert checked.status_code == 200
    assert f"Line {line}:" in checked.text
    assert "<html" not in checked.text  # the htmx fragment only
    saved = await admin.post("/console/roles/edit", data={**fields, "action": "save"})
    assert saved.status_code == 422
    assert f"Line {line}:" in saved.text
    assert await _policy(database, tenant) == before


async def test_checking_a_policy_reports_separation_of_duties_without_saving(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    admin = await _admin_client(database, client_for, tenant)
    await add_staff(
        database, tenant, f"both@{tenant.code}", "catalogue_editor", "catalogue_publisher"
    )
    before = await _policy(database, tenant)
    draft = before + "sod, catalogue.draft, catalogue.publish\n"
    checked = await post_form(
        admin, "/console/roles/edit", "/console/roles/edit", {"policy": draft, "action": "check"}
    )
    assert checked.status_code == 200
    assert f"both@{tenant.code} holds both catalogue.draft" in checked.text
    assert "<html" in checked.text  # without JavaScript, the whole page
    assert await _policy(database, tenant) == before

    page = await admin.get("/console/roles/edit")
    saved = await admin.post(
        "/console/roles/edit",
        data={
            "policy": draft,
            "action": "save",
            "revision": re.search(r'name="revision" value="(\d+)"', page.text).group(1),  # type: ignore[union-attr]
            "csrf_token": csrf_of(page.text),
        },
    )
    assert saved.status_code == 303, saved.text
    report = await admin.get("/console/roles")
    assert f"both@{tenant.code} holds both catalogue.draft" in report.text
    assert "sod, catalogue.draft, catalogue.publish" in report.text


async def test_an_editor_is_refused_the_staff_form_by_the_server(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    await add_staff(database, tenant, f"editor@{tenant.code}", "catalogue_editor")
    editor = client_for(f"{tenant.code}.localhost")
    home = await console_sign_in(editor, f"editor@{tenant.code}")
    refused = await editor.post(
        "/console/staff/new",
        data={
            "username": f"sneaky@{tenant.code}",
            "roles": "tenant_admin",
            "password": NEW_PASSWORD,
            "csrf_token": csrf_of(home.text),
        },
    )
    assert refused.status_code == 403
    assert (await editor.get("/console/staff")).status_code == 403
    assert (await editor.get("/console/tokens")).status_code == 403
    assert await _count(database, tenant, StaffAccount) == 1


async def test_nothing_crosses_tenants(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    first = await create_tenant(database)
    second = await create_tenant(database)
    await add_staff(database, second, f"secret@{second.code}", "auditor")
    admin = await _admin_client(database, client_for, first)
    listing = await admin.get("/console/staff")
    assert listing.status_code == 200
    assert f"secret@{second.code}" not in listing.text
    assert (await admin.get(f"/console/staff/secret@{second.code}")).status_code == 404
    page = "/console/staff/new"
    cross = await post_form(
        admin,
        page,
        f"/console/staff/secret@{second.code}/suspend",
    )
    assert cross.status_code == 404

    # The first tenant's session on the second tenant's host is nobody there.
    other_host = client_for(f"{second.code}.localhost")
    other_host.cookies.update(admin.cookies)
    assert (await other_host.get("/console/staff")).status_code == 303  # sign in first
    forged = await other_host.post(
        f"/console/staff/secret@{second.code}/suspend",
        data={"csrf_token": csrf_of((await admin.get(page)).text)},
    )
    assert forged.status_code in (401, 403)
    async with database.transaction(TenantScope(second.id, second.code)) as session:
        account = await session.scalar(select(StaffAccount))
        assert account is not None
        assert account.active


async def test_a_staff_manager_cannot_take_over_an_account_that_holds_more_than_they_do(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    code = tenant.code
    clerk_role = f"p, clerk, {code}, staff, read\np, clerk, {code}, staff, manage\n"
    async with database.transaction(TenantScope(tenant.id, code)) as session:
        policy = read_policy(clerk_role, source="test", domain=code)
        await save_policy(session, tenant.id, policy, actor="test", reason="test")
    await add_staff(database, tenant, f"clerk@{code}", "clerk")
    await add_staff(database, tenant, f"publisher@{code}", "catalogue_publisher")
    await add_staff(database, tenant, f"other-clerk@{code}", "clerk")
    clerk = client_for(f"{code}.localhost")
    await console_sign_in(clerk, f"clerk@{code}")

    publisher = f"/console/staff/publisher@{code}"
    for action, data in (("password", {"password": NEW_PASSWORD}), ("suspend", {})):
        refused = await post_form(clerk, publisher, f"{publisher}/{action}", data)
        assert refused.status_code == 403, refused.text
    taken_over = client_for(f"{code}.localhost")
    form = await taken_over.get("/console/sign-in")
    attempt = await taken_over.post(
        "/console/sign-in",
        data={
            "username": f"publisher@{code}",
            "password": NEW_PASSWORD,
            "csrf_token": csrf_of(form.text),
        },
    )
    assert attempt.status_code == 401  # the publisher's password is unchanged

    peer = f"/console/staff/other-clerk@{code}"
    allowed = await post_form(clerk, peer, f"{peer}/password", {"password": NEW_PASSWORD})
    assert allowed.status_code == 303, allowed.text


async def test_saving_the_policy_from_a_stale_revision_is_refused_and_writes_nothing(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await create_tenant(database)
    admin = await _admin_client(database, client_for, tenant)
    page = await admin.get("/console/roles/edit")
    read_at = re.search(r'name="revision" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    # Someone else adds a member meanwhile; the page still holds the text without them.
    await add_staff(database, tenant, f"desk@{tenant.code}", "operator")
    meanwhile = await _policy(database, tenant)
    assert f"desk@{tenant.code}" in meanwhile
    edit = await admin.get("/console/roles/edit")
    assert f"g, desk@{tenant.code}, operator" in edit.text  # the stored text, not a cached one
    saved = await admin.post(
        "/console/roles/edit",
        data={
            "policy": meanwhile.replace(f"g, desk@{tenant.code}, operator, {tenant.code}\n", "")
            + f"g, admin@{tenant.code}, auditor, {tenant.code}\n",
            "action": "save",
            "revision": read_at,
            "csrf_token": csrf_of(page.text),
        },
    )
    assert saved.status_code == 409, saved.text
    assert "someone else changed the policy meanwhile" in saved.text
    assert await _policy(database, tenant) == meanwhile
