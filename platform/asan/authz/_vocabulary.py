"""The closed list of permissions and roles: the one place a new one is added.

A permission is ``<object>.<action>``, the casbin object and action of a rule
joined by a dot; a route declares exactly one (``opt["permission"]``) or
:data:`PUBLIC`. The list is closed so that a typo in a route, a template or a
tenant's ``policy.csv`` is an error instead of a rule that silently never
matches. Objects are matched exactly (no ``keyMatch``): with a closed list a
wildcard saves a few template lines but makes every decision, every
``policy check`` and every matrix depend on pattern semantics, and a new
permission would be granted to whoever held the wildcard without anyone
deciding it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

PLATFORM_DOMAIN = "*"
"""The casbin domain of the platform templates and of the central team's own grants."""

PUBLIC = "public"
"""What a route declares instead of a permission when anyone may call it."""

POLICY_EDIT = "policy.edit"
"""Whoever holds this can grant every other permission: a tenant must keep one holder."""

MAX_ROLE_DEPTH = 10
"""Casbin's default role manager follows ``g`` links this many levels (the user is level 1).

A role reached only through a longer chain is not held; the engine copies
this so that it decides exactly like casbin.
"""


class Scope(StrEnum):
    """Where a permission or role makes sense.

    Platform permissions act on every tenant (loading tenants, templates), so
    only the central team may hold them, and only in the platform domain; a
    tenant's own policy can neither grant them nor grant the roles that carry
    them.
    """

    TENANT = "tenant"
    PLATFORM = "platform"


@dataclass(frozen=True, slots=True)
class Permission:
    name: str
    scope: Scope
    description: str

    @property
    def object(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def action(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def read_only(self) -> bool:
        """Read permissions end in ``.read``: what an auditor may hold, and nothing else."""
        return self.action == "read"


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    scope: Scope
    description: str


_Named = TypeVar("_Named", Permission, Role)


def _index(items: Iterable[_Named]) -> Mapping[str, _Named]:
    return MappingProxyType({item.name: item for item in items})


_T = Scope.TENANT
_P = Scope.PLATFORM

PERMISSIONS: Mapping[str, Permission] = _index(
    [
        Permission("catalogue.read", _T, "see drafts, versions and history (published is public)"),
        Permission("catalogue.draft", _T, "create and edit draft services"),
        Permission(
            "catalogue.publish", _T, "publish and retire services; edit agencies, categories"
        ),
        Permission("policy.read", _T, "read the role policy; explain decisions; see the matrix"),
        Permission(POLICY_EDIT, _T, "change the role policy (grants roles: the strongest one)"),
        Permission("staff.read", _T, "list staff accounts and their roles"),
        Permission("staff.manage", _T, "create, suspend and reset staff accounts"),
        Permission("tokens.manage", _T, "issue and revoke API tokens for machines"),
        Permission("settings.read", _T, "see the tenant's profile, languages, hosts, connectors"),
        Permission(
            "settings.edit", _T, "change the tenant's profile, languages, hosts, connectors"
        ),
        Permission("audit.read", _T, "read the tenant's audit trail"),
        Permission("applications.read", _T, "read citizens' applications"),
        Permission("applications.create", _T, "register an application for a citizen at a desk"),
        Permission("applications.decide", _T, "approve or reject an application (agency side)"),
        Permission(
            "applications.personal", _T, "see applicants' personal data (identity, form answers)"
        ),
        Permission("deliveries.retry", _T, "retry deliveries to agencies that were dead-lettered"),
        Permission("queue.read", _T, "see a centre's waiting tickets and desks"),
        Permission("queue.call", _T, "call the next ticket to a desk"),
        Permission("centre.read", _T, "see a centre's desks, opening hours and statistics"),
        Permission("centre.manage", _T, "change a centre's desks, opening hours and rota"),
        Permission("platform.tenants", _P, "create, load, suspend and resume tenants"),
        Permission("platform.templates", _P, "change the platform role templates"),
        Permission("platform.audit", _P, "read every tenant's audit trail"),
        Permission("platform.plugins", _P, "see and configure the installed plugins"),
    ]
)
"""Every permission, in the order the matrix shows them."""

ROLES: Mapping[str, Role] = _index(
    [
        Role("platform_operator", _P, "the central team: tenants, templates, plugins"),
        Role("tenant_admin", _T, "runs a tenant: staff, tokens, policy, settings, publishing"),
        Role("catalogue_editor", _T, "drafts services; cannot publish them"),
        Role("catalogue_publisher", _T, "reviews and publishes services"),
        Role("centre_manager", _T, "runs a service centre: desks, rota, queue"),
        Role("operator", _T, "front desk: calls tickets, registers applications"),
        Role("agency_officer", _T, "an agency's officer: decides applications"),
        Role("auditor", _T, "reads everything a tenant has, audit trail included; changes nothing"),
    ]
)
"""The roles the platform templates define; tenants may add their own in ``policy.csv``."""


def permission_name(object_: str, action: str) -> str:
    """The permission a casbin (object, action) pair stands for."""
    return f"{object_}.{action}"


def split_permission(permission: str) -> tuple[str, str]:
    """The casbin (object, action) of a permission; objects never contain a dot."""
    object_, _, action = permission.partition(".")
    return object_, action
