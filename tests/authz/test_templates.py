"""The shipped role templates and the permission list give each role what its job needs."""

from __future__ import annotations

from importlib import resources

import pytest
from litestar import Litestar

from asan.authz import (
    PERMISSIONS,
    PUBLIC,
    ROLES,
    PolicyEngine,
    Scope,
    platform_templates,
)
from tests.authz.support import TEMPLATES

ENGINE = PolicyEngine(TEMPLATES.casbin_rules)


def role_permissions(role: str) -> frozenset[str]:
    return ENGINE.permissions_of(role, "az")


def test_every_role_has_a_template_and_every_template_role_is_listed() -> None:
    assert TEMPLATES.roles == set(ROLES)


def test_every_template_rule_knows_its_line_in_templates_csv() -> None:
    lines = resources.files("asan.authz").joinpath("templates.csv").read_text().splitlines()
    for rule in TEMPLATES.rules:
        assert rule.origin is not None
        assert rule.origin.source == "templates.csv"
        assert lines[rule.origin.line - 1] == rule.text


def test_catalogue_editor_drafts_but_cannot_publish() -> None:
    assert {"catalogue.draft", "catalogue.read"} <= role_permissions("catalogue_editor")
    assert "catalogue.publish" not in role_permissions("catalogue_editor")


def test_catalogue_publisher_publishes_but_does_not_draft() -> None:
    assert "catalogue.publish" in role_permissions("catalogue_publisher")
    assert "catalogue.draft" not in role_permissions("catalogue_publisher")


def test_auditor_only_reads_and_reads_the_audit_trail() -> None:
    held = role_permissions("auditor")
    assert "audit.read" in held
    assert all(PERMISSIONS[name].read_only for name in held), held


def test_tenant_admin_runs_staff_tokens_policy_and_publishing() -> None:
    assert {"staff.manage", "tokens.manage", "policy.edit", "catalogue.publish"} <= (
        role_permissions("tenant_admin")
    )


@pytest.mark.parametrize(
    ("role", "permission"),
    [
        ("operator", "queue.call"),
        ("centre_manager", "centre.manage"),
        ("agency_officer", "applications.decide"),
    ],
)
def test_front_line_roles_hold_their_daily_permission(role: str, permission: str) -> None:
    assert permission in role_permissions(role)


def test_only_the_platform_operator_holds_platform_permissions() -> None:
    platform = {name for name, p in PERMISSIONS.items() if p.scope is Scope.PLATFORM}
    assert role_permissions("platform_operator") == platform
    for role in ROLES.keys() - {"platform_operator"}:
        assert not role_permissions(role) & platform, role


def test_every_permission_is_object_dot_action() -> None:
    for name, permission in PERMISSIONS.items():
        assert name.count(".") == 1, name
        assert f"{permission.object}.{permission.action}" == name
    assert PUBLIC not in PERMISSIONS


def test_the_templates_are_read_once() -> None:
    assert platform_templates() is platform_templates()


def test_every_route_declares_a_known_permission(app: Litestar) -> None:
    unknown = sorted(
        f"{route.path}: {handler.opt['permission']}"
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if "permission" in handler.opt
        and handler.opt["permission"] != PUBLIC
        and handler.opt["permission"] not in PERMISSIONS
    )
    assert not unknown, f"routes declaring permissions missing from asan.authz: {unknown}"
