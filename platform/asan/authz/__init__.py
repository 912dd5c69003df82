"""Authorization: what a signed-in principal may do, tenant by tenant.

Owns the closed list of permissions and roles (``PERMISSIONS``, ``ROLES``),
the casbin model decisions follow (``CASBIN_MODEL``: RBAC with domains, the
tenant being the domain and ``*`` the platform), the platform role templates
shipped as ``templates.csv``, the reading of a tenant's ``policy.csv`` with
every problem by line (``read_policy``), the fast enforcer that answers a
decision in a couple of lookups however many tenants are loaded
(``PolicyEngine``), and the pure functions behind ``asan policy check |
explain | matrix`` and the refusal of a change that would lock every admin out.
Who the principal is belongs to ``asan.identity``; where a tenant's policy is
stored, to the caller.
"""

from asan.authz._casbin import CASBIN_MODEL, casbin_enforcer
from asan.authz._checks import (
    Finding,
    PolicyLockoutError,
    Severity,
    UnknownPermissionError,
    check_policy,
    duties_held_together,
    ensure_policy_editor,
    explain_policy,
    policy_editors,
    policy_engine,
    policy_matrix,
    policy_users,
)
from asan.authz._engine import Decision, PermissionMatrix, PolicyEngine
from asan.authz._parsing import (
    TEMPLATES_SOURCE,
    PolicyError,
    PolicyProblem,
    platform_templates,
    read_policy,
    read_templates,
)
from asan.authz._rules import Origin, PolicyRule, RoleGrant, Rule, SodPair, TenantPolicy
from asan.authz._vocabulary import (
    MAX_ROLE_DEPTH,
    PERMISSIONS,
    PLATFORM_DOMAIN,
    POLICY_EDIT,
    PUBLIC,
    ROLES,
    Permission,
    Role,
    Scope,
    permission_name,
    split_permission,
)

__all__ = [
    "CASBIN_MODEL",
    "MAX_ROLE_DEPTH",
    "PERMISSIONS",
    "PLATFORM_DOMAIN",
    "POLICY_EDIT",
    "PUBLIC",
    "ROLES",
    "TEMPLATES_SOURCE",
    "Decision",
    "Finding",
    "Origin",
    "Permission",
    "PermissionMatrix",
    "PolicyEngine",
    "PolicyError",
    "PolicyLockoutError",
    "PolicyProblem",
    "PolicyRule",
    "Role",
    "RoleGrant",
    "Rule",
    "Scope",
    "Severity",
    "SodPair",
    "TenantPolicy",
    "UnknownPermissionError",
    "casbin_enforcer",
    "check_policy",
    "duties_held_together",
    "ensure_policy_editor",
    "explain_policy",
    "permission_name",
    "platform_templates",
    "policy_editors",
    "policy_engine",
    "policy_matrix",
    "policy_users",
    "read_policy",
    "read_templates",
    "split_permission",
]
