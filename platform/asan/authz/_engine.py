"""The fast enforcer: casbin's decisions, precomputed per tenant.

A plain casbin enforcer evaluates its matcher against every ``p`` line on
every request, so a decision costs time in proportion to the rules of all
tenants together. Here each domain's rules are compiled once, when they are
loaded, into "who may do what": a decision is then two dictionary lookups and
a set membership, whatever the number of tenants.

The compiled data of all domains sits in one immutable snapshot; a change
builds a new snapshot beside the old one and swaps the reference. A decision
reads the reference once, so it sees either the old rules or the new ones,
never half of each, and readers never take a lock.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import chain
from types import MappingProxyType

from asan.authz._rules import PolicyRule, RoleGrant, Rule
from asan.authz._vocabulary import (
    MAX_ROLE_DEPTH,
    PERMISSIONS,
    PLATFORM_DOMAIN,
    ROLES,
    Scope,
)

_NOTHING: frozenset[str] = frozenset()

_Ranked = tuple[int, PolicyRule]
"""A rule and its position in casbin's load order: the lowest matching one is quoted."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What was decided, and the rule that decided it (``None`` when denied by default)."""

    allowed: bool
    user: str
    domain: str
    permission: str
    rule: PolicyRule | None
    roles: tuple[str, ...]
    """Every role the user holds in the domain (through any chain of ``g`` lines)."""

    def __str__(self) -> str:
        holds = f"{self.user} holds {', '.join(self.roles)}" if self.roles else "no role"
        if self.allowed:
            return f"allowed: {self.permission} in {self.domain} ({holds}), by {self.rule}"
        return (
            f"denied: no rule gives {self.permission} to {self.user} in {self.domain} "
            f"({holds}); everything not allowed is denied"
        )


@dataclass(frozen=True, slots=True)
class PermissionMatrix:
    """Roles x permissions of one domain, each granted cell with the rule that grants it."""

    domain: str
    roles: tuple[str, ...]
    permissions: tuple[str, ...]
    granted: Mapping[tuple[str, str], PolicyRule]

    TEMPLATE_MARK = "*"
    TENANT_MARK = "+"

    def allows(self, role: str, permission: str) -> bool:
        return (role, permission) in self.granted

    def rule(self, role: str, permission: str) -> PolicyRule | None:
        return self.granted.get((role, permission))

    def table(self) -> list[list[str]]:
        """A header row and one row per role, for a CLI or console to lay out.

        A cell is :attr:`TEMPLATE_MARK` when a platform template grants it,
        :attr:`TENANT_MARK` when the tenant's own rule does (a tenant can
        extend a template role), and empty when the role lacks it.
        """
        rows = [["role", *self.permissions]]
        for role in self.roles:
            row = [role]
            for permission in self.permissions:
                rule = self.granted.get((role, permission))
                if rule is None:
                    row.append("")
                elif rule.domain == PLATFORM_DOMAIN:
                    row.append(self.TEMPLATE_MARK)
                else:
                    row.append(self.TENANT_MARK)
            rows.append(row)
        return rows


@dataclass(frozen=True, slots=True)
class _Templates:
    rules: tuple[PolicyRule, ...]
    grants: Mapping[str, Mapping[str, _Ranked]]
    """role -> permission -> the first template rule granting it."""
    permissions: Mapping[str, frozenset[str]]
    """What a name holds on its own, in a domain where no ``g`` line mentions it."""


@dataclass(frozen=True, slots=True)
class _Domain:
    name: str
    rules: tuple[PolicyRule, ...]
    grouping: tuple[RoleGrant, ...]
    grants: Mapping[str, Mapping[str, _Ranked]]
    """The domain's own ``p`` lines, ranked after every template."""
    holds: Mapping[str, frozenset[str]]
    """Every name in a ``g`` line -> the roles it holds through them (itself excluded)."""
    permissions: Mapping[str, frozenset[str]]
    """Every name in a ``g`` line or an own ``p`` line -> all it may do here."""


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """Never changed once built (a plain dict: the hot path reads it on every decision)."""

    templates: _Templates
    domains: dict[str, _Domain]


class PolicyEngine:
    """Decides like a casbin ``Enforcer`` on ``CASBIN_MODEL`` holding the same rules.

    ``PolicyEngine(rules)`` loads rules of any domains (``p`` lines of domain
    ``*`` are the platform templates); :meth:`replace_domain` swaps one
    domain's rules. Permissions are ``<object>.<action>`` strings; the engine
    does not check them against ``PERMISSIONS`` (parsing does), so it can be
    held to casbin on arbitrary rules.
    """

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        by_domain: dict[str, list[Rule]] = defaultdict(list)
        for rule in rules:
            by_domain[rule.domain].append(rule)
        templates = _compile_templates(_policy_rules(by_domain.get(PLATFORM_DOMAIN, ())))
        self._write_lock = threading.Lock()
        self._permission_sets: dict[frozenset[str], frozenset[str]] = {}
        self._snapshot = _Snapshot(
            templates,
            {
                domain: _compile_domain(domain, domain_rules, templates, self._permission_sets)
                for domain, domain_rules in by_domain.items()
            },
        )

    # --- changes -------------------------------------------------------------

    def replace_domain(self, domain: str, rules: Iterable[Rule]) -> None:
        """Make ``rules`` the whole of ``domain``'s rules, atomically for every reader.

        Replacing ``*`` replaces the templates (its ``p`` lines) and the
        central team's grants (its ``g`` lines), and recompiles every domain.
        """
        listed = list(rules)
        strays = [rule for rule in listed if rule.domain != domain]
        if strays:
            raise ValueError(f"rules of another domain than {domain!r}: {strays[0]}")
        with self._write_lock:
            current = self._snapshot
            domains = dict(current.domains)
            if domain == PLATFORM_DOMAIN:
                templates = _compile_templates(_policy_rules(listed))
                for name, compiled in domains.items():
                    if name != PLATFORM_DOMAIN:
                        domains[name] = _compile_domain(
                            name,
                            [*compiled.rules, *compiled.grouping],
                            templates,
                            self._permission_sets,
                        )
            else:
                templates = current.templates
            domains[domain] = _compile_domain(domain, listed, templates, self._permission_sets)
            self._snapshot = _Snapshot(templates, domains)

    def remove_domain(self, domain: str) -> None:
        """Forget a domain's own rules (a deleted tenant): only templates apply there now."""
        with self._write_lock:
            current = self._snapshot
            if domain == PLATFORM_DOMAIN:
                raise ValueError("the platform domain is replaced, never removed")
            domains = {name: d for name, d in current.domains.items() if name != domain}
            self._snapshot = _Snapshot(current.templates, domains)

    # --- decisions -----------------------------------------------------------

    def enforce(self, user: str, domain: str, permission: str) -> bool:
        """May ``user`` do ``permission`` in ``domain``? The hot path: keep it this small."""
        snapshot = self._snapshot
        compiled = snapshot.domains.get(domain)
        if compiled is not None:
            held = compiled.permissions.get(user)
            if held is not None:
                return permission in held
        return permission in snapshot.templates.permissions.get(user, _NOTHING)

    def permissions_of(self, user: str, domain: str) -> frozenset[str]:
        """Everything ``user`` may do in ``domain`` (what ``/auth/me`` shows)."""
        return _permissions(self._snapshot, user, domain)

    def roles_of(self, user: str, domain: str) -> frozenset[str]:
        """The roles ``user`` holds in ``domain``, inherited ones included."""
        return _subjects(self._snapshot, user, domain) - {user}

    def explain(self, user: str, domain: str, permission: str) -> Decision:
        """The decision with the rule casbin would quote: the first matching one loaded."""
        return _explain(self._snapshot, user, domain, permission)

    def matrix(self, domain: str) -> PermissionMatrix:
        """Every role known in ``domain`` against every permission that applies there.

        A tenant's matrix leaves out platform roles and permissions: no
        tenant can grant them.
        """
        snapshot = self._snapshot
        compiled = snapshot.domains.get(domain)
        names = set(snapshot.templates.grants)
        if compiled is not None:
            names.update(compiled.grants)
            names.update(grant.role for grant in compiled.grouping)
        platform = domain == PLATFORM_DOMAIN
        roles = [
            name
            for name, role in ROLES.items()
            if name in names and (platform or role.scope is Scope.TENANT)
        ]
        roles += sorted(names - set(ROLES))
        listed = [
            name
            for name, permission in PERMISSIONS.items()
            if platform or permission.scope is Scope.TENANT
        ]
        held = {role: _permissions(snapshot, role, domain) for role in roles}
        extra = set().union(*held.values()) - set(PERMISSIONS)
        permissions = (*listed, *sorted(extra))
        granted: dict[tuple[str, str], PolicyRule] = {}
        for role in roles:
            for permission in held[role]:
                rule = _explain(snapshot, role, domain, permission).rule
                if rule is not None and permission in permissions:
                    granted[role, permission] = rule
        return PermissionMatrix(domain, tuple(roles), permissions, MappingProxyType(granted))


def _permissions(snapshot: _Snapshot, user: str, domain: str) -> frozenset[str]:
    compiled = snapshot.domains.get(domain)
    if compiled is not None:
        held = compiled.permissions.get(user)
        if held is not None:
            return held
    return snapshot.templates.permissions.get(user, _NOTHING)


def _subjects(snapshot: _Snapshot, user: str, domain: str) -> frozenset[str]:
    """``user`` and the roles it holds in ``domain``: the ``p.sub`` values that match it."""
    compiled = snapshot.domains.get(domain)
    roles = compiled.holds.get(user, _NOTHING) if compiled is not None else _NOTHING
    return roles | {user}


def _explain(snapshot: _Snapshot, user: str, domain: str, permission: str) -> Decision:
    compiled = snapshot.domains.get(domain)
    sources = [snapshot.templates.grants] + ([compiled.grants] if compiled is not None else [])
    subjects = _subjects(snapshot, user, domain)
    candidates = [
        ranked
        for subject in subjects
        for grants in sources
        if (ranked := grants.get(subject, {}).get(permission)) is not None
    ]
    rule = min(candidates, key=lambda ranked: ranked[0])[1] if candidates else None
    return Decision(
        allowed=rule is not None,
        user=user,
        domain=domain,
        permission=permission,
        rule=rule,
        roles=tuple(sorted(subjects - {user})),
    )


def _policy_rules(rules: Iterable[Rule]) -> list[PolicyRule]:
    return [rule for rule in rules if isinstance(rule, PolicyRule)]


def _first_grants(rules: Iterable[PolicyRule], offset: int) -> dict[str, dict[str, _Ranked]]:
    grants: dict[str, dict[str, _Ranked]] = {}
    for position, rule in enumerate(rules, start=offset):
        grants.setdefault(rule.role, {}).setdefault(rule.permission, (position, rule))
    return grants


def _compile_templates(rules: list[PolicyRule]) -> _Templates:
    grants = _first_grants(rules, 0)
    return _Templates(
        rules=tuple(rules),
        grants=grants,
        permissions={role: frozenset(held) for role, held in grants.items()},
    )


def _held_subjects(name: str, parents: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """``name`` and every role it reaches through ``g`` lines within casbin's depth.

    Breadth first, like casbin's role manager, so a role counts as held when
    its shortest chain is short enough, however long the other chains are.
    """
    seen = {name}
    frontier = [name]
    for _ in range(MAX_ROLE_DEPTH - 1):
        reached = []
        for subject in frontier:
            for parent in parents.get(subject, ()):
                if parent not in seen:
                    seen.add(parent)
                    reached.append(parent)
        if not reached:
            break
        frontier = reached
    return frozenset(seen)


def _compile_domain(
    name: str,
    rules: Iterable[Rule],
    templates: _Templates,
    pool: dict[frozenset[str], frozenset[str]],
) -> _Domain:
    """One domain's lookups; ``pool`` holds one copy of each permission set, engine-wide.

    Tenants mostly grant template roles, so the same few permission sets
    recur in every tenant: one copy each keeps a thousand tenants small.
    """
    own: list[PolicyRule] = []
    grouping: list[RoleGrant] = []
    parents: dict[str, dict[str, None]] = defaultdict(dict)
    for rule in rules:
        if isinstance(rule, RoleGrant):
            grouping.append(rule)
            parents[rule.user][rule.role] = None
        elif name != PLATFORM_DOMAIN:  # the platform's own p lines are the templates
            own.append(rule)
    grants = _first_grants(own, len(templates.rules))
    # Users with the same roles share their sets: thousands of operators, a handful of sets.
    role_sets: dict[frozenset[str], frozenset[str]] = {}
    holds: dict[str, frozenset[str]] = {}
    for held_by in set(parents).union(grant.role for grant in grouping):
        roles = _held_subjects(held_by, parents) - {held_by}
        holds[held_by] = role_sets.setdefault(roles, roles)
    permission_sets: dict[frozenset[str], frozenset[str]] = {}
    permissions: dict[str, frozenset[str]] = {}
    for subject_name in set(holds).union(grants):
        # Only the subjects some rule names count: the user's own name rarely is one.
        granting = frozenset(
            s
            for s in holds.get(subject_name, _NOTHING) | {subject_name}
            if s in grants or s in templates.grants
        )
        held = permission_sets.get(granting)
        if held is None:
            held = frozenset(
                chain.from_iterable(
                    chain(templates.grants.get(s, {}), grants.get(s, {})) for s in granting
                )
            )
            held = pool.setdefault(held, held)
            permission_sets[granting] = held
        permissions[subject_name] = held
    return _Domain(
        name=name,
        rules=tuple(own),
        grouping=tuple(grouping),
        grants=grants,
        holds=holds,
        permissions=permissions,
    )
