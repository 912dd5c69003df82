"""What the people pages (staff, tokens, roles) share: problems shown next to fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from admin_console.rendering import viewer_of
from asan.access.authorizer import Authorizer
from asan.access.staff_admin import StaffAdministration
from asan.access.staff_rules import StaffProblemsError
from asan.authz import PolicyError
from asan.errors import AsanError
from asan.i18n import current_locale, gettext
from asan.identity.api import signed_in
from asan.tenancy import TenantRecord


@dataclass
class Problems:
    """Problems of one form: each message in the summary, and under its field when it has one."""

    summary: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    status: int = 422

    def add(self, message: str, field_name: str | None = None) -> None:
        self.summary.append(message)
        if field_name and field_name not in self.fields:
            self.fields[field_name] = message

    @classmethod
    def of(cls, exc: AsanError, fields: dict[str, str] | None = None) -> Problems:
        """``fields`` maps a service's parameter names to the form's, where they differ."""
        problems = cls(status=exc.status)
        locale = current_locale()
        each = exc.problems if isinstance(exc, StaffProblemsError) else [exc]
        for problem in each:
            if isinstance(problem, PolicyError):
                for line in problem.problems:
                    problems.add(
                        gettext("Line {line}: {reason}", line=line.line, reason=line.reason),
                        "policy",
                    )
                continue
            parameter = problem.detail.get("parameter")
            name = (fields or {}).get(parameter, parameter) if parameter else None
            problems.add(problem.message_in(locale), name)
        return problems


async def staff_administration(
    request: Request[Any, Any, Any], session: AsyncSession, tenant: TenantRecord
) -> StaffAdministration:
    """The staff service acting as the signed-in person, limited to what they hold."""
    principal = await signed_in(request)
    viewer = await viewer_of(request)
    authorizer: Authorizer = request.app.state.authorizer
    return StaffAdministration(
        session,
        tenant,
        actor=principal.name,
        actor_permissions=viewer.permissions,
        authorizer=authorizer,
    )
