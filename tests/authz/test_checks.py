"""policy check, explain, matrix and the lockout guard, on parsed rules."""

from __future__ import annotations

import pytest

from asan.authz import (
    PolicyLockoutError,
    Severity,
    UnknownPermissionError,
    check_policy,
    ensure_policy_editor,
    explain_policy,
    policy_editors,
    policy_matrix,
    read_templates,
)
from tests.authz.support import ADMIN_ONLY, TEMPLATES, az_policy


def findings(text: str) -> list[tuple[str, int | None]]:
    return [
        (finding.code, finding.origin.line if finding.origin else None)
        for finding in check_policy(az_policy(text), TEMPLATES)
    ]


def test_a_sound_policy_has_no_findings() -> None:
    assert findings(ADMIN_ONLY + "g, ed@az, catalogue_editor, az\n") == []


def test_editor_who_can_also_publish_breaks_separation_of_duties() -> None:
    text = ADMIN_ONLY + (
        "g, ed@az, catalogue_editor, az\n"
        "g, ed@az, catalogue_publisher, az\n"
        "sod, catalogue.draft, catalogue.publish\n"
    )
    (finding,) = check_policy(az_policy(text), TEMPLATES)
    assert finding.severity is Severity.ERROR
    assert finding.code == "sod_violation"
    assert str(finding) == (
        "tenants/az/policy.csv:4: error: ed@az holds both catalogue.draft (as catalogue_editor) "
        "and catalogue.publish (as catalogue_publisher), which must not go together"
    )


def test_an_admin_who_drafts_breaks_the_separation_whatever_the_roles_are_called() -> None:
    text = ADMIN_ONLY + (
        "p, writer, az, catalogue, draft\n"
        "g, admin@az, writer, az\n"
        "sod, catalogue.publish, catalogue.draft\n"
    )
    assert findings(text) == [("sod_violation", 4)]


def test_a_role_holding_both_duties_is_flagged_before_anyone_holds_it() -> None:
    text = ADMIN_ONLY + (
        "p, one_man_band, az, catalogue, draft\n"
        "p, one_man_band, az, catalogue, publish\n"
        "g, solo@az, auditor, az\n"
        "g, one_man_band, auditor, az\n"
        "sod, catalogue.draft, catalogue.publish\n"
    )
    result = check_policy(az_policy(text), TEMPLATES)
    assert [(f.severity, f.code) for f in result] == [
        (Severity.WARNING, "never_matches"),
        (Severity.WARNING, "never_matches"),
        (Severity.WARNING, "sod_role"),
    ]


def test_a_rule_for_a_role_nobody_holds_never_matches() -> None:
    text = ADMIN_ONLY + "p, night_shift, az, queue, call\n"
    (finding,) = check_policy(az_policy(text), TEMPLATES)
    assert (finding.code, finding.severity) == ("never_matches", Severity.WARNING)
    assert finding.message == (
        "p, night_shift, az, queue, call: nobody in az holds night_shift, "
        "so this rule never applies"
    )


def test_a_role_held_only_through_another_role_is_held() -> None:
    text = ADMIN_ONLY + (
        "p, night_shift, az, queue, call\n"
        "g, night_lead, night_shift, az\n"
        "p, night_lead, az, queue, read\n"
        "g, nora@az, night_lead, az\n"
    )
    assert findings(text) == []


def test_repeating_a_template_rule_is_reported() -> None:
    text = (
        ADMIN_ONLY + "g, ed@az, catalogue_editor, az\np, catalogue_editor, az, catalogue, draft\n"
    )
    assert findings(text) == [("repeats_template", 3)]


def test_a_policy_that_nobody_can_edit_is_an_error() -> None:
    assert findings("g, ed@az, catalogue_editor, az\n") == [("no_policy_editor", None)]


def test_roles_and_permissions_the_running_templates_no_longer_know_are_errors() -> None:
    policy = az_policy(ADMIN_ONLY + "g, ops@az, operator, az\n")
    shrunk = read_templates("p, tenant_admin, *, policy, edit\n")
    assert [(f.code, f.severity) for f in check_policy(policy, shrunk)] == [
        ("unknown_role", Severity.ERROR)
    ]


def test_a_change_that_leaves_no_policy_editor_is_refused() -> None:
    before = az_policy(ADMIN_ONLY + "g, ed@az, catalogue_editor, az\n")
    assert policy_editors(before, TEMPLATES) == {"admin@az"}
    ensure_policy_editor(before, TEMPLATES)
    after = az_policy("g, admin@az, auditor, az\ng, ed@az, catalogue_editor, az\n")
    with pytest.raises(PolicyLockoutError) as caught:
        ensure_policy_editor(after, TEMPLATES)
    assert caught.value.code == "policy_lockout"
    assert (
        caught.value.message == "after this change nobody in az could edit the policy (policy.edit)"
    )


def test_a_custom_role_with_policy_edit_keeps_the_tenant_editable() -> None:
    policy = az_policy("p, steward, az, policy, edit\ng, sue@az, steward, az\n")
    assert policy_editors(policy, TEMPLATES) == {"sue@az"}


def test_a_role_holding_policy_edit_is_not_an_editor_nobody_can_sign_in_as() -> None:
    policy = az_policy("g, steward, tenant_admin, az\np, steward, az, queue, read\n")
    assert policy_editors(policy, TEMPLATES) == set()


def test_explain_says_which_rule_decided() -> None:
    policy = az_policy(ADMIN_ONLY)
    decision = explain_policy(policy, TEMPLATES, "admin@az", "policy.edit")
    assert decision.allowed
    assert decision.rule is not None
    assert decision.rule.text == "p, tenant_admin, *, policy, edit"
    denied = explain_policy(policy, TEMPLATES, "admin@az", "catalogue.draft")
    assert not denied.allowed
    assert denied.roles == ("tenant_admin",)


def test_explain_refuses_a_permission_that_does_not_exist() -> None:
    with pytest.raises(UnknownPermissionError):
        explain_policy(az_policy(ADMIN_ONLY), TEMPLATES, "admin@az", "policy.delete")


def test_the_matrix_of_a_policy_includes_its_own_roles() -> None:
    matrix = policy_matrix(az_policy("p, steward, az, policy, edit\n"), TEMPLATES)
    assert matrix.domain == "az"
    assert matrix.allows("steward", "policy.edit")
    assert matrix.allows("tenant_admin", "policy.edit")
    assert not matrix.allows("auditor", "policy.edit")
