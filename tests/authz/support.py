"""Building policies for the authorization tests."""

from __future__ import annotations

from textwrap import dedent

from asan.authz import TenantPolicy, platform_templates, read_policy

TEMPLATES = platform_templates()

ADMIN_ONLY = """\
g, admin@az, tenant_admin, az
"""


def az_policy(text: str, *, domain: str = "az") -> TenantPolicy:
    """``text`` (dedented) as the policy.csv of ``domain``."""
    return read_policy(dedent(text), source=f"tenants/{domain}/policy.csv", domain=domain)
