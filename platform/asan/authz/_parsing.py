"""Reading ``policy.csv`` and ``templates.csv``: every problem with its line, or a policy.

The format is casbin's policy CSV (``p, role, az, catalogue, draft`` and
``g, user, role, az``) plus ``sod, <permission>, <permission>`` lines, which
casbin has no use for and which are taken out here. A file with any problem
gives no policy at all, so a half-read policy is never loaded; the error
lists every problem, not just the first, so a tenant fixes the file once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from asan.authz._rules import Origin, PolicyRule, RoleGrant, SodPair, TenantPolicy
from asan.authz._vocabulary import (
    PERMISSIONS,
    PLATFORM_DOMAIN,
    ROLES,
    Permission,
    Scope,
    permission_name,
)
from asan.errors import ValidationError
from asan.i18n import N_

TEMPLATES_SOURCE = "templates.csv"

_LAYOUTS: dict[str, tuple[str, ...]] = {
    "p": ("role", "domain", "object", "action"),
    "g": ("user", "role", "domain"),
    "sod": ("permission", "permission"),
}
_ROLE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_USER = re.compile(r'^[^\s,"*]{1,160}$')
"""Usernames (``operator@az``) and token subjects (``token:<uuid>``); ``*`` is the platform."""
_DOMAIN = re.compile(r"^[^\s,]+$")


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


class PolicyError(ValidationError):
    """A policy file that cannot be loaded; ``problems`` has every reason, by line."""

    code = "policy_invalid"

    def __init__(self, problems: Sequence[PolicyProblem]) -> None:
        if not problems:
            raise ValueError("a PolicyError needs at least one problem")
        first = problems[0]
        detail = {
            "errors": [{"source": p.source, "line": p.line, "reason": p.reason} for p in problems]
        }
        params = {"source": first.source, "line": first.line, "reason": first.reason}
        if len(problems) == 1:
            super().__init__(N_("{source}, line {line}: {reason}"), detail=detail, **params)
        else:
            super().__init__(
                N_("{source}, line {line}: {reason} ({count} problems in all)"),
                detail=detail,
                count=len(problems),
                **params,
            )
        self.problems = list(problems)


def read_policy(
    text: str, *, source: str, domain: str, templates: TenantPolicy | None = None
) -> TenantPolicy:
    """A tenant's ``policy.csv`` (``domain``: the tenant code), checked against ``templates``.

    ``templates`` defaults to the shipped platform templates; their roles,
    and the roles the file itself gives permissions to, are the roles a
    ``g`` line may grant. With ``domain="*"`` this reads the central team's
    grants: ``g`` lines only, since platform-wide ``p`` lines are templates.
    Raises :class:`PolicyError` listing every problem.
    """
    if not _DOMAIN.match(domain):
        raise ValueError(f"not a policy domain: {domain!r}")
    known = (templates if templates is not None else platform_templates()).roles
    return _Reader(source, domain, known_roles=known, templates=False).read(text)


def read_templates(text: str, *, source: str = TEMPLATES_SOURCE) -> TenantPolicy:
    """Platform role templates: ``p, <role>, *, <object>, <action>`` lines for the roles in ROLES.

    A template gives a tenant role tenant permissions and a platform role
    platform permissions, never a mix: a tenant admin must not become a
    platform operator because a template line was pasted in the wrong place.
    """
    return _Reader(source, PLATFORM_DOMAIN, known_roles=frozenset(ROLES), templates=True).read(text)


@cache
def platform_templates() -> TenantPolicy:
    """The templates shipped with the platform (``asan/authz/templates.csv``), read once."""
    text = resources.files("asan.authz").joinpath(TEMPLATES_SOURCE).read_text(encoding="utf-8")
    return read_templates(text)


class _Reader:
    """Collects the rules and the problems of one file."""

    def __init__(
        self, source: str, domain: str, *, known_roles: frozenset[str], templates: bool
    ) -> None:
        self.source = source
        self.domain = domain
        self.known_roles = known_roles
        self.templates = templates
        self.rules: list[PolicyRule] = []
        self.grouping: list[RoleGrant] = []
        self.sod_pairs: list[SodPair] = []
        self.defined_roles: set[str] = set()
        """Roles this file gives a permission to, even on a line with another problem."""
        self.problems: list[PolicyProblem] = []
        self.seen: dict[tuple[str, ...], int] = {}

    def problem(self, line: int, reason: str) -> None:
        self.problems.append(PolicyProblem(self.source, line, reason))

    def read(self, text: str) -> TenantPolicy:
        for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
            line = raw.strip()
            if line and not line.startswith("#"):
                self.line(number, [field.strip() for field in line.split(",")])
        self.check_granted_roles()
        if self.problems:
            raise PolicyError(sorted(self.problems, key=lambda p: p.line))
        return TenantPolicy(
            domain=self.domain,
            source=self.source,
            rules=tuple(self.rules),
            grouping=tuple(self.grouping),
            sod_pairs=tuple(self.sod_pairs),
        )

    def line(self, number: int, fields: list[str]) -> None:
        kind, values = fields[0], fields[1:]
        layout = _LAYOUTS.get(kind)
        if layout is None:
            self.problem(number, f"unknown line type {kind!r} (expected p, g or sod)")
            return
        if len(values) != len(layout):
            self.problem(
                number,
                f"a {kind} line has {len(layout) + 1} fields ({kind}, {', '.join(layout)}), "
                f"this one has {len(fields)}",
            )
            return
        empty = [name for name, value in zip(layout, values, strict=True) if not value]
        if empty:
            self.problem(number, f"empty field: {', '.join(empty)}")
            return
        # A separation of duties is the same whichever permission comes first.
        key = (kind, *sorted(values)) if kind == "sod" else (kind, *values)
        if key in self.seen:
            self.problem(number, f"duplicate of line {self.seen[key]}")
            return
        self.seen[key] = number
        origin = Origin(self.source, number)
        if kind == "p":
            self.policy_line(number, origin, *values)
        elif kind == "g":
            self.grant_line(number, origin, *values)
        else:
            self.sod_line(number, origin, *values)

    def policy_line(self, number: int, origin: Origin, *values: str) -> None:
        role, domain, object_, action = values
        if self.domain == PLATFORM_DOMAIN and not self.templates:
            self.problem(number, f"platform-wide p lines belong in {TEMPLATES_SOURCE}")
            return
        problems = len(self.problems)
        role_scope = self.check_defined_role(number, role)
        self.check_domain(number, domain)
        permission = self.check_permission(number, permission_name(object_, action))
        if permission is not None and role_scope is not None:
            if not self.templates and permission.scope is Scope.PLATFORM:
                self.problem(
                    number, f"{permission.name} is a platform permission: no tenant can grant it"
                )
            elif permission.scope is not role_scope:
                self.problem(
                    number,
                    f"{permission.name} is a {permission.scope} permission "
                    f"and {role} a {role_scope} role",
                )
        if len(self.problems) == problems and permission is not None:
            self.rules.append(PolicyRule(role, domain, permission.name, origin))

    def check_defined_role(self, number: int, role: str) -> Scope | None:
        """The scope of a role a ``p`` line gives a permission to, or None if it may not."""
        if not _ROLE.match(role):
            self.problem(number, f"{role!r} is not a role name (lowercase letters, digits, _)")
            return None
        self.defined_roles.add(role)
        if role in ROLES:
            if ROLES[role].scope is Scope.PLATFORM and not self.templates:
                self.problem(number, f"{role} is a platform role: only the platform defines it")
                return None
            return ROLES[role].scope
        if self.templates:
            self.problem(number, f"templates define only the platform roles, not {role!r}")
            return None
        return Scope.TENANT

    def grant_line(self, number: int, origin: Origin, *values: str) -> None:
        user, role, domain = values
        problems = len(self.problems)
        if self.templates:
            self.problem(number, f"{TEMPLATES_SOURCE} holds p lines only; grant roles per tenant")
            return
        if not _USER.match(user):
            self.problem(number, f"{user!r} is not a user name (no spaces, commas, quotes or *)")
        if not _ROLE.match(role):
            self.problem(number, f"{role!r} is not a role name (lowercase letters, digits, _)")
        elif (
            role in ROLES and ROLES[role].scope is Scope.PLATFORM and self.domain != PLATFORM_DOMAIN
        ):
            self.problem(number, f"{role} is a platform role: no tenant can grant it")
        self.check_domain(number, domain)
        if len(self.problems) == problems:
            self.grouping.append(RoleGrant(user, role, domain, origin))

    def sod_line(self, number: int, origin: Origin, *values: str) -> None:
        first, second = values
        if self.templates:
            self.problem(number, f"{TEMPLATES_SOURCE} holds p lines only; duties are per tenant")
            return
        known = [self.check_permission(number, value) for value in values]
        if first == second:
            self.problem(number, f"{first} cannot be separated from itself")
        elif None not in known:
            self.sod_pairs.append(SodPair(first, second, origin))

    def check_domain(self, number: int, domain: str) -> None:
        if domain != self.domain:
            whose = "the platform's" if self.domain == PLATFORM_DOMAIN else f"{self.domain}'s"
            self.problem(number, f"domain {domain!r} in {whose} policy (expected {self.domain!r})")

    def check_permission(self, number: int, permission: str) -> Permission | None:
        if permission in PERMISSIONS:
            return PERMISSIONS[permission]
        close = difflib.get_close_matches(permission, PERMISSIONS, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        self.problem(number, f"unknown permission {permission}{hint}")
        return None

    def check_granted_roles(self) -> None:
        """After the whole file: a ``g`` line may grant a role defined further down."""
        roles = self.known_roles | self.defined_roles
        for grant in self.grouping:
            if grant.role not in roles:
                self.problem(
                    grant.origin.line if grant.origin else 0,
                    f"unknown role {grant.role} (neither a platform role "
                    "nor given a permission in this file)",
                )
