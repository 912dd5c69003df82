"""Console pages: staff accounts, adding one, and a member's roles, status and password.

The rules (who may grant what, separation of duties, nobody left able to edit
the policy, not suspending oneself) are ``asan.access.staff_admin``'s; a refused
change is shown on the form and nothing is written.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from admin_console.pages.catalogue_common import reader_text
from admin_console.pages.people_shared import Problems, staff_administration
from admin_console.rendering import form_data, form_lists, redirect, render, tenant_page
from asan.access.staff_admin import StaffAdministration
from asan.access.staff_rules import AGENCY_ROLE, MIN_PASSWORD_LENGTH
from asan.catalogue.models import Agency
from asan.db import utcnow
from asan.errors import AsanError
from asan.i18n import gettext
from asan.tenancy import TenantRecord


def _staff_page(username: str) -> str:
    return "/console/staff/" + quote(username, safe="@")


def _agency_names(agencies: list[Agency], tenant: TenantRecord) -> list[dict[str, str]]:
    return [{"code": agency.code, "name": reader_text(agency.name, tenant)} for agency in agencies]


async def _form_context(admin: StaffAdministration, tenant: TenantRecord) -> dict[str, Any]:
    return {
        "roles": await admin.roles(),
        "agencies": _agency_names(await admin.agencies(), tenant),
        "agency_role": AGENCY_ROLE,
        "min_password": MIN_PASSWORD_LENGTH,
    }


@get("/staff", opt=tenant_page("staff.read"))
async def staff_list(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    admin = await staff_administration(request, db_session, tenant)
    return await render(
        request,
        "console/people/staff_list.html",
        {"members": await admin.members(), "now": utcnow()},
    )


@get("/staff/new", opt=tenant_page("staff.manage"))
async def new_staff_form(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    admin = await staff_administration(request, db_session, tenant)
    context = await _form_context(admin, tenant)
    return await render(
        request,
        "console/people/staff_new.html",
        {**context, "values": {}, "chosen": [], "problems": Problems()},
    )


@post("/staff/new", opt=tenant_page("staff.manage"))
async def add_staff(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    form = await form_data(request)
    chosen = (await form_lists(request)).get("roles", [])
    username = form.get("username", "").strip()
    agency = form.get("agency", "").strip() if AGENCY_ROLE in chosen else ""
    admin = await staff_administration(request, db_session, tenant)
    try:
        await admin.add(
            username,
            form.get("password", ""),
            chosen,
            display_name=form.get("display_name", ""),
            agency=agency or None,
        )
    except AsanError as exc:
        context = await _form_context(admin, tenant)
        values = {key: form.get(key, "") for key in ("username", "display_name", "agency")}
        return await render(
            request,
            "console/people/staff_new.html",
            {**context, "values": values, "chosen": chosen, "problems": Problems.of(exc)},
            status_code=exc.status,
        )
    return redirect(
        request, _staff_page(username), notice=gettext("{user} was added.", user=username)
    )


async def _member_page(
    request: Request[Any, Any, Any],
    admin: StaffAdministration,
    tenant: TenantRecord,
    username: str,
    *,
    problems: Problems | None = None,
    form: str = "",
    chosen: list[str] | None = None,
    agency: str | None = None,
) -> Response[str]:
    member = await admin.member(username)
    context = await _form_context(admin, tenant)
    return await render(
        request,
        "console/people/staff_member.html",
        {
            **context,
            "member": member,
            "page": _staff_page(username),
            "chosen": list(member.roles) if chosen is None else chosen,
            "agency": member.account.agency if agency is None else agency,
            "is_self": admin.actor == username,
            "problems": problems or Problems(),
            "failed_form": form,
            "now": utcnow(),
        },
        status_code=problems.status if problems else 200,
    )


@get("/staff/{username:str}", opt=tenant_page("staff.read"))
async def staff_member(
    request: Request[Any, Any, Any],
    username: FromPath[str],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    admin = await staff_administration(request, db_session, tenant)
    return await _member_page(request, admin, tenant, username)


@post("/staff/{username:str}/roles", opt=tenant_page("staff.manage"))
async def change_roles(
    request: Request[Any, Any, Any],
    username: FromPath[str],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    form = await form_data(request)
    chosen = (await form_lists(request)).get("roles", [])
    agency = form.get("agency", "").strip() if AGENCY_ROLE in chosen else ""
    admin = await staff_administration(request, db_session, tenant)
    try:
        await admin.change_roles(username, chosen, agency=agency or None)
    except AsanError as exc:
        return await _member_page(
            request,
            admin,
            tenant,
            username,
            problems=Problems.of(exc),
            form="roles",
            chosen=chosen,
            agency=agency,
        )
    return redirect(
        request,
        _staff_page(username),
        notice=gettext("The roles of {user} were changed.", user=username),
    )


def _status_change(action: str, *, active: bool) -> HTTPRouteHandler:
    """``POST /staff/<username>/<action>``: suspend (its sessions stop working at once)
    or reactivate the account."""

    @post(
        f"/staff/{{username:str}}/{action}", opt=tenant_page("staff.manage"), name=f"staff_{action}"
    )
    async def change_status(
        request: Request[Any, Any, Any],
        username: FromPath[str],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[TenantRecord],
    ) -> Response[str]:
        admin = await staff_administration(request, db_session, tenant)
        try:
            await admin.set_active(username, active)
        except AsanError as exc:
            return await _member_page(
                request, admin, tenant, username, problems=Problems.of(exc), form="status"
            )
        notice = (
            gettext("{user} can sign in again.", user=username)
            if active
            else gettext("{user} is suspended and signed out everywhere.", user=username)
        )
        return redirect(request, _staff_page(username), notice=notice)

    return change_status


suspend = _status_change("suspend", active=False)
reactivate = _status_change("reactivate", active=True)


@post("/staff/{username:str}/password", opt=tenant_page("staff.manage"))
async def set_password(
    request: Request[Any, Any, Any],
    username: FromPath[str],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    form = await form_data(request)
    admin = await staff_administration(request, db_session, tenant)
    try:
        await admin.set_password(username, form.get("password", ""))
    except AsanError as exc:
        return await _member_page(
            request, admin, tenant, username, problems=Problems.of(exc), form="password"
        )
    return redirect(
        request,
        _staff_page(username),
        notice=gettext("{user} has a new password and is unlocked.", user=username),
    )


ROUTES = [
    staff_list,
    new_staff_form,
    add_staff,
    staff_member,
    change_roles,
    suspend,
    reactivate,
    set_password,
]
