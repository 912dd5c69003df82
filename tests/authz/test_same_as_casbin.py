"""The engine decides exactly like a casbin Enforcer on CASBIN_MODEL, and quotes the same rule.

Random rule sets over a few names make every case likely: users and roles
sharing names, role chains and cycles, ``p`` lines in ``*`` and in tenants,
``g`` lines in ``*``, requests in domains with no rules at all. Every
request over the names is asked of both, after loading and after a swap.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise, product
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from asan.authz import PolicyEngine, PolicyRule, RoleGrant, Rule, casbin_enforcer, split_permission

NAMES = ("alice", "bob", "r1", "r2", "r3")
DOMAINS = ("d1", "d2", "*")
REQUEST_DOMAINS = (*DOMAINS, "d3")
PERMISSIONS = ("o1.a1", "o1.a2", "o2.a1")
CHAIN = tuple(f"n{i}" for i in range(13))

# database=None: no example database written into the working tree.
EXAMPLES = settings(max_examples=300, deadline=None, database=None)

policy_rules = st.builds(
    PolicyRule, st.sampled_from(NAMES), st.sampled_from(DOMAINS), st.sampled_from(PERMISSIONS)
)
role_grants = st.builds(
    RoleGrant, st.sampled_from(NAMES), st.sampled_from(NAMES), st.sampled_from(DOMAINS)
)
rule_sets = st.lists(st.one_of(policy_rules, role_grants), max_size=30)


def assert_same_decisions(engine: PolicyEngine, casbin: Any, names: Sequence[str]) -> None:
    for user, domain, permission in product(names, REQUEST_DOMAINS, PERMISSIONS):
        allowed, quoted = casbin.enforce_ex(user, domain, *split_permission(permission))
        decision = engine.explain(user, domain, permission)
        request = (user, domain, permission)
        assert engine.enforce(user, domain, permission) is allowed, request
        assert decision.allowed is allowed, request
        assert (list(decision.rule.casbin) if decision.rule else []) == quoted, request
        assert (permission in engine.permissions_of(user, domain)) is allowed, request


@EXAMPLES
@given(rule_sets)
def test_random_policies_decide_like_casbin(rules: list[Rule]) -> None:
    assert_same_decisions(PolicyEngine(rules), casbin_enforcer(rules), NAMES)


@EXAMPLES
@given(rule_sets, st.sampled_from(DOMAINS), rule_sets)
def test_a_replaced_domain_decides_like_casbin_loaded_afresh(
    rules: list[Rule], domain: str, replacement: list[Rule]
) -> None:
    engine = PolicyEngine(rules)
    new_rules = [rule for rule in replacement if rule.domain == domain]
    engine.replace_domain(domain, new_rules)
    kept = [rule for rule in rules if rule.domain != domain]
    # Casbin quotes in load order: the replacement comes after what was kept.
    assert_same_decisions(engine, casbin_enforcer([*kept, *new_rules]), NAMES)


chain_grants = st.builds(RoleGrant, st.sampled_from(CHAIN), st.sampled_from(CHAIN), st.just("d1"))
chain_rules = st.builds(
    PolicyRule, st.sampled_from(CHAIN), st.sampled_from(("d1", "*")), st.sampled_from(PERMISSIONS)
)


@st.composite
def role_chains(draw: st.DrawFn) -> list[Rule]:
    """A chain through every name (longer than casbin follows), some shortcuts, some rules."""
    order = draw(st.permutations(CHAIN))
    chain = [RoleGrant(user, role, "d1") for user, role in pairwise(order)]
    shortcuts = draw(st.lists(chain_grants, max_size=6))
    rules = draw(st.lists(chain_rules, min_size=1, max_size=12))
    mixed: list[Rule] = draw(st.permutations([*chain, *shortcuts]))
    return [*mixed, *rules]


@EXAMPLES
@given(role_chains())
def test_long_role_chains_stop_at_the_same_depth_as_casbin(rules: list[Rule]) -> None:
    assert_same_decisions(PolicyEngine(rules), casbin_enforcer(rules), CHAIN)
