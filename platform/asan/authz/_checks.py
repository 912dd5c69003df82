"""What ``asan policy check | explain | matrix`` compute, on rules rather than a database.

Parsing has already refused what cannot be loaded (syntax, unknown names,
foreign domains); these look at what a loadable policy means: rules that
can never decide anything, people holding duties that must stay apart, and a
change that would leave nobody able to edit the policy again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from asan.authz._engine import Decision, PermissionMatrix, PolicyEngine
from asan.authz._rules import Origin, PolicyRule, SodPair, TenantPolicy
from asan.authz._vocabulary import PERMISSIONS, PLATFORM_DOMAIN, POLICY_EDIT
from asan.errors import ValidationError
from asan.i18n import N_


class Severity(StrEnum):
    ERROR = "error"
    """The policy is wrong: a person can do what the tenant said they must not, or worse."""
    WARNING = "warning"
    """The policy works, but some of it does nothing: probably not what its author meant."""


@dataclass(frozen=True, slots=True)
class Finding:
    severity: Severity
    code: str
    """Stable, for scripts: ``unknown_role``, ``unknown_permission``, ``never_matches``,
    ``repeats_template``, ``sod_violation``, ``sod_role``, ``no_policy_editor``."""
    message: str
    origin: Origin | None = None
    """The line the finding is about, when there is one."""

    def __str__(self) -> str:
        where = f"{self.origin}: " if self.origin else ""
        return f"{where}{self.severity}: {self.message}"


class PolicyLockoutError(ValidationError):
    """A policy change refused because nobody could edit the policy after it."""

    code = "policy_lockout"
    status = 409


class UnknownPermissionError(ValidationError):
    """Asked about a permission that is not in ``PERMISSIONS``: a typo, not a denial."""

    code = "unknown_permission"


def policy_engine(policy: TenantPolicy, templates: TenantPolicy) -> PolicyEngine:
    """An engine holding only ``templates`` and ``policy``: for checks, not for requests."""
    return PolicyEngine([*templates.casbin_rules, *policy.casbin_rules])


def duties_held_together(
    policy: TenantPolicy, engine: PolicyEngine, user: str
) -> Iterator[tuple[SodPair, PolicyRule, PolicyRule]]:
    """The ``sod`` pairs whose two duties ``user`` holds both of under ``engine``, in line
    order, each with the rules that give the first and the second."""
    for pair in policy.sod_pairs:
        first = engine.explain(user, policy.domain, pair.first).rule
        second = engine.explain(user, policy.domain, pair.second).rule
        if first is not None and second is not None:
            yield pair, first, second


def policy_users(policy: TenantPolicy, templates: TenantPolicy) -> frozenset[str]:
    """Who the policy grants roles to: the ``g`` subjects that are not themselves roles."""
    roles = templates.roles | policy.roles | {grant.role for grant in policy.grouping}
    return frozenset(grant.user for grant in policy.grouping) - roles


def policy_editors(policy: TenantPolicy, templates: TenantPolicy) -> frozenset[str]:
    """The users who could still change the policy (hold ``policy.edit``) under ``policy``."""
    engine = policy_engine(policy, templates)
    return frozenset(
        user
        for user in policy_users(policy, templates)
        if engine.enforce(user, policy.domain, POLICY_EDIT)
    )


def ensure_policy_editor(policy: TenantPolicy, templates: TenantPolicy) -> None:
    """Refuse a new policy under which nobody holds ``policy.edit``.

    Only the central team could repair such a tenant, through the platform
    scope; a tenant admin removing their own last grant is a mistake worth
    stopping, not a decision worth honouring.
    """
    if not policy_editors(policy, templates):
        raise PolicyLockoutError(
            N_("after this change nobody in {domain} could edit the policy ({permission})"),
            detail={"domain": policy.domain, "permission": POLICY_EDIT},
            domain=policy.domain,
            permission=POLICY_EDIT,
        )


def explain_policy(
    policy: TenantPolicy, templates: TenantPolicy, user: str, permission: str
) -> Decision:
    """Would ``user`` be allowed ``permission`` under ``policy``, and by which rule?"""
    if permission not in PERMISSIONS:
        raise UnknownPermissionError(
            N_("unknown permission {permission}"),
            detail={"permission": permission},
            permission=permission,
        )
    return policy_engine(policy, templates).explain(user, policy.domain, permission)


def policy_matrix(policy: TenantPolicy, templates: TenantPolicy) -> PermissionMatrix:
    """Roles x permissions in the policy's domain, templates and the tenant's own rules."""
    return policy_engine(policy, templates).matrix(policy.domain)


def check_policy(policy: TenantPolicy, templates: TenantPolicy) -> list[Finding]:
    """Every finding about a parsed policy, errors first, then by line.

    ``templates`` are passed rather than taken from the package because a
    stored policy is checked against the templates of the running code,
    which may have dropped a role or a permission since it was written.
    """
    engine = policy_engine(policy, templates)
    users = policy_users(policy, templates)
    findings = [
        *_unknown_names(policy, templates),
        *_rules_that_never_match(policy, templates, engine, users),
        *_separation_of_duties(policy, templates, engine, users),
    ]
    if policy.domain != PLATFORM_DOMAIN and not any(
        engine.enforce(user, policy.domain, POLICY_EDIT) for user in users
    ):
        findings.append(
            Finding(
                Severity.ERROR,
                "no_policy_editor",
                f"nobody in {policy.domain} holds {POLICY_EDIT}: "
                "nobody could change this policy again",
            )
        )
    return sorted(
        findings,
        key=lambda f: (f.severity != Severity.ERROR, f.origin.line if f.origin else 0),
    )


def _unknown_names(policy: TenantPolicy, templates: TenantPolicy) -> Iterable[Finding]:
    roles = templates.roles | policy.roles
    for grant in policy.grouping:
        if grant.role not in roles:
            yield Finding(
                Severity.ERROR,
                "unknown_role",
                f"{grant.text}: no template or rule of {policy.domain} defines {grant.role}",
                grant.origin,
            )
    for rule in policy.rules:
        if rule.permission not in PERMISSIONS:
            yield Finding(
                Severity.ERROR,
                "unknown_permission",
                f"{rule.text}: {rule.permission} is not a permission",
                rule.origin,
            )
    for pair in policy.sod_pairs:
        for permission in (pair.first, pair.second):
            if permission not in PERMISSIONS:
                yield Finding(
                    Severity.ERROR,
                    "unknown_permission",
                    f"{pair.text}: {permission} is not a permission",
                    pair.origin,
                )


def _rules_that_never_match(
    policy: TenantPolicy,
    templates: TenantPolicy,
    engine: PolicyEngine,
    users: frozenset[str],
) -> Iterable[Finding]:
    domain = policy.domain
    held = {user: engine.roles_of(user, domain) | {user} for user in users}
    template_grants = {(rule.role, rule.permission): rule for rule in templates.rules}
    for rule in policy.rules:
        if not any(rule.role in subjects for subjects in held.values()):
            yield Finding(
                Severity.WARNING,
                "never_matches",
                f"{rule.text}: nobody in {domain} holds {rule.role}, so this rule never applies",
                rule.origin,
            )
        template = template_grants.get((rule.role, rule.permission))
        if template is not None:
            yield Finding(
                Severity.WARNING,
                "repeats_template",
                f"{rule.text}: the template {template} already gives {rule.role} "
                f"{rule.permission}; this line never decides anything",
                rule.origin,
            )


def _separation_of_duties(
    policy: TenantPolicy,
    templates: TenantPolicy,
    engine: PolicyEngine,
    users: frozenset[str],
) -> Iterable[Finding]:
    domain = policy.domain
    roles = sorted(templates.roles | policy.roles)
    for user in sorted(users):
        for pair, first, second in duties_held_together(policy, engine, user):
            yield Finding(
                Severity.ERROR,
                "sod_violation",
                f"{user} holds both {pair.first} (as {first.role}) and "
                f"{pair.second} (as {second.role}), which must not go together",
                pair.origin,
            )
    for pair in policy.sod_pairs:
        for role in roles:
            if engine.enforce(role, domain, pair.first) and engine.enforce(
                role, domain, pair.second
            ):
                yield Finding(
                    Severity.WARNING,
                    "sod_role",
                    f"role {role} holds both {pair.first} and {pair.second}: "
                    "whoever is granted it holds duties that must not go together",
                    pair.origin,
                )
