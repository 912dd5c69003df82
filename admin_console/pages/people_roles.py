"""Console pages: who may do what (roles x permissions), the separation-of-duties report,
and editing the policy text.

"Check" reads and checks a draft without saving (an htmx fragment, or the
whole page without JavaScript); "Save" goes through the same service as
``PUT /api/v1/policy``: malformed text (by line), a policy nobody could edit
again, or one changed by someone else meanwhile is refused and nothing is
written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from admin_console.pages.people_shared import Problems
from admin_console.rendering import form_data, is_htmx, redirect, render, tenant_page
from asan.access.authorizer import Authorizer
from asan.access.store import change_policy, policy_revision, stored_policy_text
from asan.authz import (
    Finding,
    PolicyError,
    TenantPolicy,
    check_policy,
    policy_matrix,
    read_policy,
)
from asan.errors import AsanError
from asan.i18n import gettext
from asan.identity.api import signed_in
from asan.tenancy import TenantRecord

SOD_CODES = frozenset({"sod_violation", "sod_role"})


@dataclass(frozen=True, slots=True)
class Report:
    """What checking a policy found: separation of duties apart from the rest."""

    sod_pairs: list[tuple[str, str]]
    duties: list[Finding]
    others: list[Finding]

    @classmethod
    def of(cls, policy: TenantPolicy, templates: TenantPolicy) -> Report:
        findings = check_policy(policy, templates)
        return cls(
            sod_pairs=[(pair.first, pair.second) for pair in policy.sod_pairs],
            duties=[finding for finding in findings if finding.code in SOD_CODES],
            others=[finding for finding in findings if finding.code not in SOD_CODES],
        )


def _transpose(header: list[str], rows: list[list[str]]) -> list[tuple[str, list[str]]]:
    """Permissions down the side and roles across (fewer columns), cells as ``table()`` marks."""
    permissions = header[1:]
    return [
        (permission, [row[index + 1] for row in rows])
        for index, permission in enumerate(permissions)
    ]


@get("/roles", opt=tenant_page("policy.read"))
async def roles(
    request: Request[Any, Any, Any], tenant: NamedDependency[TenantRecord]
) -> Response[str]:
    authorizer: Authorizer = request.app.state.authorizer
    policy = await authorizer.policy(tenant)
    header, *rows = policy_matrix(policy, authorizer.templates).table()
    return await render(
        request,
        "console/people/roles.html",
        {
            "matrix_roles": [row[0] for row in rows],
            "matrix_rows": _transpose(header, rows),
            "report": Report.of(policy, authorizer.templates),
            "policy_text": policy.to_csv(),
        },
    )


async def _edit_page(
    request: Request[Any, Any, Any],
    *,
    text: str,
    revision: int,
    report: Report | None = None,
    problems: Problems | None = None,
    checked: bool = False,
    status_code: int = 200,
) -> Response[str]:
    context = {
        "policy_text": text,
        "revision": revision,
        "report": report,
        "problems": problems or Problems(),
        "checked": checked,
    }
    if is_htmx(request):
        return await render(request, "console/people/policy_report.html", context)
    return await render(request, "console/people/roles_edit.html", context, status_code=status_code)


@get("/roles/edit", opt=tenant_page("policy.edit"))
async def edit_form(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    # The text as stored, with the revision it is (read first: a change committed
    # between the two reads makes the save refused, never silently overwritten).
    # The authorizer's compiled copy may be up to refresh_seconds old.
    revision = await policy_revision(db_session, tenant.id)
    text = await stored_policy_text(db_session, tenant.id) or ""
    return await _edit_page(request, text=text, revision=revision)


@post("/roles/edit", opt=tenant_page("policy.edit"))
async def edit_policy(
    request: Request[Any, Any, Any],
    db_session: NamedDependency[AsyncSession],
    tenant: NamedDependency[TenantRecord],
) -> Response[str]:
    form = await form_data(request)
    text = form.get("policy", "")
    try:
        revision = int(form.get("revision", ""))
    except ValueError:
        revision = -1  # no revision read: saving is refused as a change made meanwhile
    authorizer: Authorizer = request.app.state.authorizer
    if form.get("action") != "save":
        try:
            draft = read_policy(
                text, source="policy", domain=tenant.code, templates=authorizer.templates
            )
        except PolicyError as exc:
            return await _edit_page(
                request, text=text, revision=revision, problems=Problems.of(exc), checked=True
            )
        report = Report.of(draft, authorizer.templates)
        return await _edit_page(request, text=text, revision=revision, report=report, checked=True)
    principal = await signed_in(request)
    try:
        await change_policy(
            db_session,
            tenant,
            text,
            authorizer=authorizer,
            actor=principal.name,
            reason="console",
            source="policy",
            expected_revision=revision,
        )
    except AsanError as exc:
        problems = Problems.of(exc)
        return await _edit_page(
            request, text=text, revision=revision, problems=problems, status_code=exc.status
        )
    return redirect(request, "/console/roles", notice=gettext("The policy was saved."))


ROUTES = [roles, edit_form, edit_policy]
