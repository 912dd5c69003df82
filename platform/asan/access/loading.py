"""A tenant bundle's ``policy.csv``: checked with the bundle, stored once as the seed.

The file seeds a tenant's policy the first time the tenant is loaded; after
that the policy belongs to the tenant's admins (changed through the API), so
loading the bundle again leaves it alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from asan.access.store import save_policy, stored_policy_text
from asan.authz import PolicyError, PolicyProblem, TenantPolicy, platform_templates, read_policy
from asan.tenancy.bundle import TenantBundle
from asan.tenancy.service import BundleHook

POLICY_FILE = "policy.csv"

POLICY_SEEDED = "policy seeded"
"""The seeder's note (English, printed by the CLI) when the bundle's policy was stored."""
POLICY_KEPT = "policy kept"
"""The seeder's note when the tenant had a policy already."""
NOTE_SEPARATOR = ", "
"""Between the notes of the bundle parts :func:`chain` ran."""


def read_bundle_policies(bundles: Sequence[TenantBundle]) -> dict[str, TenantPolicy]:
    """Every bundle's policy, parsed against the platform templates; all problems at once."""
    templates = platform_templates()
    policies: dict[str, TenantPolicy] = {}
    problems: list[PolicyProblem] = []
    for bundle in bundles:
        path = bundle.directory / POLICY_FILE
        if not path.is_file():
            continue
        try:
            policies[bundle.code] = read_policy(
                path.read_text(encoding="utf-8"),
                source=str(path),
                domain=bundle.code,
                templates=templates,
            )
        except PolicyError as exc:
            problems.extend(exc.problems)
    if problems:
        raise PolicyError(problems)
    return policies


def policy_seeder(policies: dict[str, TenantPolicy], *, actor: str) -> BundleHook:
    async def seed(session: AsyncSession, tenant_id: uuid.UUID, bundle: TenantBundle) -> str | None:
        policy = policies.get(bundle.code)
        if policy is None:
            return None
        if await stored_policy_text(session, tenant_id) is not None:
            return POLICY_KEPT
        await save_policy(session, tenant_id, policy, actor=actor, reason="seeded from policy.csv")
        return POLICY_SEEDED

    return seed


def chain(*hooks: BundleHook) -> BundleHook:
    """Several bundle parts, loaded one after the other in the tenant's transaction."""

    async def run(session: AsyncSession, tenant_id: uuid.UUID, bundle: TenantBundle) -> str | None:
        notes = [note for hook in hooks if (note := await hook(session, tenant_id, bundle))]
        return NOTE_SEPARATOR.join(notes) or None

    return run
