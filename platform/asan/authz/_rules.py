"""The rules themselves: what a ``p``, ``g`` or ``sod`` line says, and where it was written.

Every rule keeps its origin (file or source name and line number) but is
compared and hashed without it, so the same rule read from two places is one
rule, and ``explain`` can still quote the line that decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain

from asan.authz._vocabulary import split_permission


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a rule was written: ``templates.csv:4``, ``tenants/az/policy.csv:12``."""

    source: str
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """A ``p`` line: ``role`` holds ``permission`` in ``domain`` (``*``: in every domain)."""

    role: str
    domain: str
    permission: str
    origin: Origin | None = field(default=None, compare=False)

    @property
    def casbin(self) -> tuple[str, str, str, str]:
        """The casbin policy values (sub, dom, obj, act)."""
        object_, action = split_permission(self.permission)
        return (self.role, self.domain, object_, action)

    @property
    def text(self) -> str:
        return "p, " + ", ".join(self.casbin)

    def __str__(self) -> str:
        return f"`{self.text}` ({self.origin})" if self.origin else f"`{self.text}`"


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """A ``g`` line: ``user`` holds ``role`` in ``domain`` (a role may also hold a role)."""

    user: str
    role: str
    domain: str
    origin: Origin | None = field(default=None, compare=False)

    @property
    def casbin(self) -> tuple[str, str, str]:
        return (self.user, self.role, self.domain)

    @property
    def text(self) -> str:
        return "g, " + ", ".join(self.casbin)

    def __str__(self) -> str:
        return f"`{self.text}` ({self.origin})" if self.origin else f"`{self.text}`"


@dataclass(frozen=True, slots=True)
class SodPair:
    """A ``sod`` line: nobody may hold both permissions (separation of duties).

    Not a casbin rule: casbin has no way to say it, so it is checked by
    ``check_policy`` and never consulted by a decision.
    """

    first: str
    second: str
    origin: Origin | None = field(default=None, compare=False)

    @property
    def text(self) -> str:
        return f"sod, {self.first}, {self.second}"

    def __str__(self) -> str:
        return f"`{self.text}` ({self.origin})" if self.origin else f"`{self.text}`"


Rule = PolicyRule | RoleGrant
"""What the casbin model and the engine consume; ``sod`` lines are not rules of the model."""


@dataclass(frozen=True, slots=True)
class TenantPolicy:
    """One policy file, parsed: a tenant's own rules, or the platform templates (domain ``*``)."""

    domain: str
    source: str
    rules: tuple[PolicyRule, ...] = ()
    grouping: tuple[RoleGrant, ...] = ()
    sod_pairs: tuple[SodPair, ...] = ()

    @property
    def casbin_rules(self) -> tuple[Rule, ...]:
        """What the engine (or a casbin enforcer) loads for this policy's domain."""
        return (*self.rules, *self.grouping)

    @property
    def roles(self) -> frozenset[str]:
        """The roles this policy gives permissions to."""
        return frozenset(rule.role for rule in self.rules)

    def to_csv(self) -> str:
        """The policy as ``policy.csv`` text, lines in their original order.

        Reading the result back gives an equal policy; this is what a policy
        stored line by line is turned back into.
        """
        lines: list[PolicyRule | RoleGrant | SodPair] = list(
            chain(self.rules, self.grouping, self.sod_pairs)
        )
        lines.sort(key=lambda line: line.origin.line if line.origin else 1 << 62)
        return "".join(f"{line.text}\n" for line in lines)
