"""The rules every change of staff accounts is checked against, and the errors they raise.

Shared by ``StaffAdministration`` (``asan.access.staff_admin``) and the
command line's doors (``asan.access.staff``): the password rule, the agency an
agency officer works for, the roles a tenant may grant, and separation of
duties (``sod`` lines). ``Refusals`` gathers what independent checks
refused, so that a form shows every problem at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from asan.authz import ROLES, Scope, TenantPolicy, duties_held_together, policy_engine
from asan.catalogue.models import Agency
from asan.errors import AsanError, ValidationError
from asan.i18n import N_

_T = TypeVar("_T")

MIN_PASSWORD_LENGTH = 12
AGENCY_ROLE = "agency_officer"
"""The template role bound to one agency (applications.decide sees that agency only)."""


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            N_("a password needs at least {count} characters"),
            detail={"parameter": "password"},
            count=MIN_PASSWORD_LENGTH,
        )


async def known_agency(
    session: AsyncSession, tenant_id: uuid.UUID, agency: str | None
) -> str | None:
    if (
        agency is not None
        and await session.scalar(
            select(Agency.id).where(Agency.tenant_id == tenant_id, Agency.code == agency)
        )
        is None
    ):
        raise ValidationError(
            N_("no agency {agency!r} in the catalogue"),
            detail={"parameter": "agency"},
            agency=agency,
        )
    return agency


class StaffExistsError(ValidationError):
    code = "staff_exists"
    status = 409


class DutiesApartError(ValidationError):
    """Roles that would give one person two duties the tenant's ``sod`` lines keep apart."""

    code = "sod_violation"
    status = 409


class StaffProblemsError(ValidationError):
    """Several independent problems with one request; ``problems`` has each of them."""

    code = "staff_invalid"

    def __init__(self, problems: Sequence[AsanError]) -> None:
        first = problems[0]
        super().__init__(
            N_("{problem} ({count} problems in all)"),
            detail={
                "errors": [{"code": p.code, "message": p.message, **p.detail} for p in problems]
            },
            problem=first.message,
            count=len(problems),
        )
        self.problems = list(problems)


class Refusals:
    """Runs independent checks and keeps what each refused, to report them all at once."""

    def __init__(self) -> None:
        self.found: list[AsanError] = []

    def check(self, check: Callable[[], _T]) -> _T | None:
        try:
            return check()
        except AsanError as exc:
            self.found.append(exc)
            return None

    async def check_async(self, check: Awaitable[_T]) -> _T | None:
        try:
            return await check
        except AsanError as exc:
            self.found.append(exc)
            return None

    def raise_any(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise StaffProblemsError(self.found)


def tenant_template_roles() -> list[str]:
    """The shipped roles a tenant may grant (never a platform one), in their listed order."""
    return [name for name, role in ROLES.items() if role.scope is Scope.TENANT]


def grantable_roles(policy: TenantPolicy, templates: TenantPolicy) -> list[str]:
    """The roles a tenant may grant: the tenant template roles, then its own, by name."""
    own = sorted(policy.roles - templates.roles)
    return [*tenant_template_roles(), *[role for role in own if role not in ROLES]]


def roles_of(policy: TenantPolicy, username: str) -> tuple[str, ...]:
    return tuple(grant.role for grant in policy.grouping if grant.user == username)


def ensure_duties_apart(policy: TenantPolicy, templates: TenantPolicy, username: str) -> None:
    engine = policy_engine(policy, templates)
    for pair, _, _ in duties_held_together(policy, engine, username):
        raise DutiesApartError(
            N_("{user} would hold both {first} and {second}, which must not go together"),
            detail={"parameter": "roles", "first": pair.first, "second": pair.second},
            user=username,
            first=pair.first,
            second=pair.second,
        )
