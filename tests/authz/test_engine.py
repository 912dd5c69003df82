"""The engine's decisions, explanations and atomic swaps of one tenant's rules."""

from __future__ import annotations

import threading

import pytest

from asan.authz import (
    MAX_ROLE_DEPTH,
    PolicyEngine,
    PolicyRule,
    RoleGrant,
    TenantPolicy,
    casbin_enforcer,
    split_permission,
)
from tests.authz.support import TEMPLATES, az_policy

AZ = az_policy(
    """\
    p, queue_lead, az, queue, call
    p, queue_lead, az, centre, read
    g, editor@az, catalogue_editor, az
    g, lead@az, queue_lead, az
    g, admin@az, tenant_admin, az
    """
)


def engine_with(*policies: TenantPolicy) -> PolicyEngine:
    return PolicyEngine([*TEMPLATES.casbin_rules, *(r for p in policies for r in p.casbin_rules)])


def test_a_user_gets_the_template_permissions_of_the_roles_granted_in_the_tenant() -> None:
    engine = engine_with(AZ)
    assert engine.enforce("editor@az", "az", "catalogue.draft")
    assert not engine.enforce("editor@az", "az", "catalogue.publish")


def test_a_grant_in_one_tenant_gives_nothing_in_another() -> None:
    engine = engine_with(AZ)
    assert not engine.enforce("editor@az", "ee", "catalogue.draft")
    assert not engine.enforce("editor@az", "*", "catalogue.draft")


def test_a_tenant_rule_applies_in_its_own_domain_only() -> None:
    ee = az_policy("g, lead@az, queue_lead, ee\np, queue_lead, ee, queue, read\n", domain="ee")
    engine = engine_with(AZ, ee)
    assert engine.enforce("lead@az", "az", "queue.call")
    assert not engine.enforce("lead@az", "ee", "queue.call")
    assert engine.enforce("lead@az", "ee", "queue.read")


def test_explain_quotes_the_template_line_that_allowed() -> None:
    decision = engine_with(AZ).explain("editor@az", "az", "catalogue.draft")
    assert decision.allowed
    assert decision.rule is not None
    assert decision.rule.text == "p, catalogue_editor, *, catalogue, draft"
    assert decision.roles == ("catalogue_editor",)
    assert str(decision).startswith(
        "allowed: catalogue.draft in az (editor@az holds catalogue_editor), "
        "by `p, catalogue_editor, *, catalogue, draft` (templates.csv:"
    )


def test_explain_quotes_the_tenant_line_for_a_tenant_role() -> None:
    decision = engine_with(AZ).explain("lead@az", "az", "queue.call")
    assert str(decision) == (
        "allowed: queue.call in az (lead@az holds queue_lead), "
        "by `p, queue_lead, az, queue, call` (tenants/az/policy.csv:1)"
    )


def test_a_denial_names_no_rule_and_says_what_the_user_holds() -> None:
    decision = engine_with(AZ).explain("editor@az", "az", "catalogue.publish")
    assert not decision.allowed
    assert decision.rule is None
    assert str(decision) == (
        "denied: no rule gives catalogue.publish to editor@az in az "
        "(editor@az holds catalogue_editor); everything not allowed is denied"
    )


def test_permissions_and_roles_of_a_user() -> None:
    engine = engine_with(AZ)
    assert engine.permissions_of("lead@az", "az") == {"queue.call", "centre.read"}
    assert engine.roles_of("admin@az", "az") == {"tenant_admin"}
    assert engine.roles_of("admin@az", "ee") == set()
    assert engine.permissions_of("nobody", "az") == set()


def test_a_role_name_asked_about_directly_acts_as_itself_like_in_casbin() -> None:
    engine = engine_with(AZ)
    assert engine.enforce("catalogue_editor", "anywhere", "catalogue.draft")
    assert engine.permissions_of("queue_lead", "az") == {"queue.call", "centre.read"}


def test_a_role_can_inherit_another_roles_permissions() -> None:
    policy = az_policy(
        """\
        p, senior_operator, az, applications, decide
        g, senior_operator, operator, az
        g, sam@az, senior_operator, az
        """
    )
    engine = engine_with(policy)
    assert engine.enforce("sam@az", "az", "applications.decide")
    assert engine.enforce("sam@az", "az", "queue.call")
    assert engine.roles_of("sam@az", "az") == {"senior_operator", "operator"}


def test_a_role_beyond_casbins_hierarchy_depth_is_not_held_by_either() -> None:
    chain = [f"r{i}" for i in range(MAX_ROLE_DEPTH + 1)]
    rules: list[PolicyRule | RoleGrant] = [
        RoleGrant(chain[i], chain[i + 1], "d") for i in range(len(chain) - 1)
    ]
    rules += [PolicyRule(role, "d", f"{role}.act") for role in chain]
    engine = PolicyEngine(rules)
    casbin = casbin_enforcer(rules)
    for role in chain:
        permission = f"{role}.act"
        expected = casbin.enforce("r0", "d", *split_permission(permission))
        assert engine.enforce("r0", "d", permission) is expected, role
    assert engine.enforce("r0", "d", f"{chain[-2]}.act")
    assert not engine.enforce("r0", "d", f"{chain[-1]}.act")


def test_replacing_a_tenant_swaps_its_rules_and_leaves_the_others_alone() -> None:
    ee = az_policy("g, boss@ee, tenant_admin, ee\n", domain="ee")
    engine = engine_with(AZ, ee)
    demoted = az_policy("g, editor@az, auditor, az\n")
    engine.replace_domain("az", demoted.casbin_rules)
    assert not engine.enforce("editor@az", "az", "catalogue.draft")
    assert engine.enforce("editor@az", "az", "audit.read")
    assert not engine.enforce("lead@az", "az", "queue.call")
    assert engine.enforce("boss@ee", "ee", "policy.edit")


def test_replacing_a_tenant_with_another_tenants_rules_is_a_programming_error() -> None:
    engine = engine_with(AZ)
    with pytest.raises(ValueError, match="another domain"):
        engine.replace_domain("ee", AZ.casbin_rules)


def test_replacing_the_templates_recompiles_every_tenant() -> None:
    engine = engine_with(AZ)
    engine.replace_domain("*", [PolicyRule("catalogue_editor", "*", "catalogue.publish")])
    assert engine.enforce("editor@az", "az", "catalogue.publish")
    assert not engine.enforce("editor@az", "az", "catalogue.draft")
    assert engine.enforce("lead@az", "az", "queue.call")


def test_the_central_teams_grants_live_in_the_platform_domain() -> None:
    engine = PolicyEngine(
        [*TEMPLATES.casbin_rules, RoleGrant("ops@asan", "platform_operator", "*")]
    )
    assert engine.enforce("ops@asan", "*", "platform.tenants")
    assert not engine.enforce("ops@asan", "az", "platform.tenants")


def test_a_removed_tenant_keeps_only_what_templates_give_role_names() -> None:
    engine = engine_with(AZ)
    engine.remove_domain("az")
    assert not engine.enforce("admin@az", "az", "policy.edit")
    with pytest.raises(ValueError, match="never removed"):
        engine.remove_domain("*")


def test_readers_never_see_half_of_a_replacement() -> None:
    """Two policies that each give alice exactly one of two permissions, swapped under reads."""
    drafting = [RoleGrant("alice", "catalogue_editor", "az")]
    publishing = [RoleGrant("alice", "catalogue_publisher", "az")]
    engine = PolicyEngine([*TEMPLATES.casbin_rules, *drafting])
    stop = threading.Event()
    seen: set[frozenset[str]] = set()

    def read() -> None:
        while not stop.is_set():
            seen.add(engine.permissions_of("alice", "az"))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for round_ in range(2000):
            engine.replace_domain("az", publishing if round_ % 2 else drafting)
    finally:
        stop.set()
        reader.join()
    assert seen <= {
        frozenset({"catalogue.read", "catalogue.draft"}),
        frozenset({"catalogue.read", "catalogue.publish"}),
    }


def test_the_matrix_shows_template_and_tenant_grants_without_platform_roles() -> None:
    matrix = engine_with(AZ).matrix("az")
    assert "platform_operator" not in matrix.roles
    assert "platform.tenants" not in matrix.permissions
    assert matrix.roles[-1] == "queue_lead"
    assert matrix.allows("catalogue_editor", "catalogue.draft")
    assert not matrix.allows("catalogue_editor", "catalogue.publish")
    table = matrix.table()
    assert table[0][:3] == ["role", "catalogue.read", "catalogue.draft"]
    lead = next(row for row in table if row[0] == "queue_lead")
    call = table[0].index("queue.call")
    assert lead[call] == matrix.TENANT_MARK
    editor = next(row for row in table if row[0] == "catalogue_editor")
    assert editor[table[0].index("catalogue.draft")] == matrix.TEMPLATE_MARK
    rule = matrix.rule("queue_lead", "queue.call")
    assert rule is not None
    assert rule.origin is not None
    assert rule.origin.line == 1


def test_the_platform_matrix_shows_the_platform_role() -> None:
    matrix = engine_with().matrix("*")
    assert matrix.roles[0] == "platform_operator"
    assert matrix.allows("platform_operator", "platform.tenants")


def test_a_domain_nobody_loaded_gives_users_nothing_and_roles_their_templates() -> None:
    engine = engine_with(AZ)
    decision = engine.explain("admin@az", "nowhere", "policy.edit")
    assert not decision.allowed
    assert decision.roles == ()
    auditor = {rule.permission for rule in TEMPLATES.rules if rule.role == "auditor"}
    assert engine.permissions_of("auditor", "nowhere") == auditor
