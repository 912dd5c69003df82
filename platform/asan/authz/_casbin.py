"""The casbin model the platform's decisions follow, and a real casbin enforcer for it.

The :class:`~asan.authz.PolicyEngine` decides; casbin is the specification it
is held to. A property-based test and the benchmark load the same rules into
both, and ``casbin_enforcer`` is here (not in the tests) so that a CLI or a
support session can cross-check a surprising decision against casbin itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from asan.authz._rules import PolicyRule, RoleGrant, Rule
from asan.authz._vocabulary import PLATFORM_DOMAIN

CASBIN_MODEL = """\
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && (p.dom == r.dom || p.dom == "*") && r.obj == p.obj && r.act == p.act
"""
"""RBAC with domains: the tenant is the domain, ``*`` the platform templates.

A user holds a role in a domain only through that domain's ``g`` lines;
a ``p`` line applies in its own domain, or in every domain when it is ``*``.
Allow-only (``some(where allow)``): there are no deny rules, so the order of
rules never changes a decision, only which rule ``explain`` quotes.
"""


def _casbin_order(rules: Iterable[Rule]) -> list[Rule]:
    """Rules in the order the engine's ``explain`` assumes: templates first, then the rest.

    Casbin quotes the first matching ``p`` line in the order the lines were
    added; loading the platform templates before any tenant is what makes a
    template rule the one quoted when a tenant repeats it.
    """
    listed = list(rules)
    return [r for r in listed if _is_template(r)] + [r for r in listed if not _is_template(r)]


def _is_template(rule: Rule) -> bool:
    return isinstance(rule, PolicyRule) and rule.domain == PLATFORM_DOMAIN


def casbin_enforcer(rules: Iterable[Rule]) -> Any:
    """A ``casbin.Enforcer`` on :data:`CASBIN_MODEL` holding ``rules`` (returned untyped).

    The rules go in the way a storage adapter loads them (one ``load_policy``),
    templates first, duplicates dropped: casbin's ``add_policies``
    checks each new rule against every rule already there, which takes
    tens of seconds for a thousand tenants.
    """
    # Imported here: pycasbin is slow to import, untyped, and only needed to cross-check.
    import casbin  # type: ignore[import-untyped]  # pycasbin ships no type information

    ordered = _casbin_order(rules)
    policies = dict.fromkeys(r.casbin for r in ordered if isinstance(r, PolicyRule))
    grants = dict.fromkeys(r.casbin for r in ordered if isinstance(r, RoleGrant))

    class RulesAdapter(casbin.persist.Adapter):  # type: ignore[misc]  # an untyped base
        def load_policy(self, model: Any) -> None:
            model["p"]["p"].policy.extend(list(values) for values in policies)
            model["g"]["g"].policy.extend(list(values) for values in grants)

    return casbin.Enforcer(casbin.Enforcer.new_model(text=CASBIN_MODEL), RulesAdapter())
