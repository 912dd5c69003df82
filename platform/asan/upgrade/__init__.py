"""Upgrading an instance: what would change (``plan``), and doing it (``apply``).

Shared by ``asan upgrade plan|apply`` and, later, the central team's console.
"""

from asan.upgrade.apply import ApplyReport, apply_upgrade
from asan.upgrade.plan import Plan, TenantCheck, make_plan

__all__ = ["ApplyReport", "Plan", "TenantCheck", "apply_upgrade", "make_plan"]
