"""policy.csv: a valid file gives rules with their lines; a bad one, every problem and nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from asan.authz import (
    Origin,
    PolicyError,
    PolicyRule,
    RoleGrant,
    SodPair,
    TenantPolicy,
    read_policy,
    read_templates,
)
from asan.errors import ValidationError
from tests.authz.support import az_policy
from tests.support.databases import REPO_ROOT

VALID = """\
# Azerbaijan: staff and the rules added to the templates.
p, queue_lead, az, queue, call
p, queue_lead, az, centre, read

g, admin@az, tenant_admin, az
g, lead@az, queue_lead, az
g, lead@az, operator, az
sod, catalogue.draft, catalogue.publish
"""


def problems_of(text: str, *, domain: str = "az") -> list[tuple[int, str]]:
    with pytest.raises(PolicyError) as caught:
        read_policy(text, source="policy.csv", domain=domain)
    return [(problem.line, problem.reason) for problem in caught.value.problems]


def test_a_valid_policy_gives_its_rules_grants_and_duties_with_their_lines() -> None:
    policy = az_policy(VALID)
    assert policy.rules == (
        PolicyRule("queue_lead", "az", "queue.call"),
        PolicyRule("queue_lead", "az", "centre.read"),
    )
    assert policy.grouping == (
        RoleGrant("admin@az", "tenant_admin", "az"),
        RoleGrant("lead@az", "queue_lead", "az"),
        RoleGrant("lead@az", "operator", "az"),
    )
    assert policy.sod_pairs == (SodPair("catalogue.draft", "catalogue.publish"),)
    assert policy.grouping[1].origin == Origin("tenants/az/policy.csv", 6)
    assert str(policy.rules[0]) == "`p, queue_lead, az, queue, call` (tenants/az/policy.csv:2)"


def test_writing_a_policy_back_gives_text_that_reads_as_the_same_policy() -> None:
    policy = az_policy(VALID)
    again = az_policy(policy.to_csv())
    assert again == policy
    assert policy.to_csv().splitlines()[0] == "p, queue_lead, az, queue, call"


def test_spaces_a_byte_order_mark_and_windows_line_ends_are_tolerated() -> None:
    policy = read_policy(
        "\ufeffg,admin@az,tenant_admin,az\r\n  g , b@az , operator , az  \r\n",
        source="policy.csv",
        domain="az",
    )
    assert [grant.user for grant in policy.grouping] == ["admin@az", "b@az"]


def test_a_malformed_file_reports_every_problem_with_its_line() -> None:
    text = """\
p, editor_plus, az, catalogue, draft
p, editor_plus, az
x, admin@az, tenant_admin
g, admin@az, tenant_admin, az
g, admin@az, tenant_admin, az
g, someone, wizard, az
p, clerk, ee, queue, call
p, clerk, az, catalog, publish
g, , operator, az
sod, catalogue.draft, catalogue.draft
sod, catalogue.publish, catalogue.draft
"""
    assert problems_of(text) == [
        (2, "a p line has 5 fields (p, role, domain, object, action), this one has 3"),
        (3, "unknown line type 'x' (expected p, g or sod)"),
        (5, "duplicate of line 4"),
        (6, "unknown role wizard (neither a platform role nor given a permission in this file)"),
        (7, "domain 'ee' in az's policy (expected 'az')"),
        (8, "unknown permission catalog.publish; did you mean catalogue.publish?"),
        (9, "empty field: user"),
        (10, "catalogue.draft cannot be separated from itself"),
    ]


def test_the_error_is_a_validation_error_naming_the_first_problem_and_the_count() -> None:
    with pytest.raises(PolicyError) as caught:
        read_policy("p, a\np, b\n", source="tenants/az/policy.csv", domain="az")
    error = caught.value
    assert isinstance(error, ValidationError)
    assert error.code == "policy_invalid"
    assert error.status == 422
    assert error.message == (
        "tenants/az/policy.csv, line 1: a p line has 5 fields (p, role, domain, object, action), "
        "this one has 2 (2 problems in all)"
    )
    assert error.detail["errors"][1] == {
        "source": "tenants/az/policy.csv",
        "line": 2,
        "reason": "a p line has 5 fields (p, role, domain, object, action), this one has 2",
    }


def test_separation_of_duties_written_the_other_way_round_is_a_duplicate() -> None:
    text = "sod, catalogue.draft, catalogue.publish\nsod, catalogue.publish, catalogue.draft\n"
    assert problems_of(text) == [(2, "duplicate of line 1")]


def test_a_role_may_be_granted_before_the_line_that_defines_it() -> None:
    policy = az_policy("g, lead@az, queue_lead, az\np, queue_lead, az, queue, call\n")
    assert policy.roles == {"queue_lead"}


def test_a_role_defined_on_a_broken_line_is_not_also_reported_as_unknown() -> None:
    text = "p, queue_lead, ee, queue, call\ng, lead@az, queue_lead, az\n"
    assert problems_of(text) == [(1, "domain 'ee' in az's policy (expected 'az')")]


def test_a_tenant_cannot_grant_the_platform_role_or_platform_permissions() -> None:
    text = """\
g, me@az, platform_operator, az
p, my_ops, az, platform, tenants
p, platform_operator, az, queue, call
"""
    assert problems_of(text) == [
        (1, "platform_operator is a platform role: no tenant can grant it"),
        (2, "platform.tenants is a platform permission: no tenant can grant it"),
        (3, "platform_operator is a platform role: only the platform defines it"),
    ]


def test_names_with_spaces_quotes_or_stars_are_refused() -> None:
    text = 'g, "quoted", operator, az\ng, *, operator, az\np, Shouting, az, queue, call\n'
    assert problems_of(text) == [
        (1, "'\"quoted\"' is not a user name (no spaces, commas, quotes or *)"),
        (2, "'*' is not a user name (no spaces, commas, quotes or *)"),
        (3, "'Shouting' is not a role name (lowercase letters, digits, _)"),
    ]


def test_roles_may_come_from_templates_other_than_the_shipped_ones() -> None:
    templates = read_templates("p, operator, *, queue, call\n", source="test-templates.csv")
    with pytest.raises(PolicyError) as caught:
        read_policy("g, a@az, auditor, az\n", source="policy.csv", domain="az", templates=templates)
    assert caught.value.problems[0].reason.startswith("unknown role auditor")


def test_the_platform_policy_holds_grants_only() -> None:
    policy = read_policy("g, ops@asan, platform_operator, *\n", source="platform.csv", domain="*")
    assert policy.grouping == (RoleGrant("ops@asan", "platform_operator", "*"),)
    assert problems_of("p, auditor, *, audit, read\n", domain="*") == [
        (1, "platform-wide p lines belong in templates.csv")
    ]


def test_templates_give_platform_roles_platform_permissions_and_nothing_else() -> None:
    text = """\
p, tenant_admin, *, platform, tenants
p, platform_operator, *, queue, call
p, my_role, *, queue, call
p, operator, az, queue, call
g, a, operator, *
sod, queue.call, queue.read
"""
    with pytest.raises(PolicyError) as caught:
        read_templates(text)
    assert [(p.line, p.reason) for p in caught.value.problems] == [
        (1, "platform.tenants is a platform permission and tenant_admin a tenant role"),
        (2, "queue.call is a tenant permission and platform_operator a platform role"),
        (3, "templates define only the platform roles, not 'my_role'"),
        (4, "domain 'az' in the platform's policy (expected '*')"),
        (5, "templates.csv holds p lines only; grant roles per tenant"),
        (6, "templates.csv holds p lines only; duties are per tenant"),
    ]


def test_an_empty_policy_is_valid_and_empty() -> None:
    assert read_policy("# nothing yet\n\n", source="policy.csv", domain="az") == TenantPolicy(
        "az", "policy.csv"
    )


def test_a_policy_error_needs_a_problem_to_report() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        PolicyError([])


@pytest.mark.parametrize("path", sorted(REPO_ROOT.glob("tenants/*/policy.csv")), ids=str)
def test_every_shipped_tenant_policy_reads(path: Path) -> None:
    code = path.parent.name
    policy = read_policy(path.read_text(encoding="utf-8"), source=str(path), domain=code)
    assert policy.domain == code
