"""A tenant's own policy in the database: its lines, in order, and a revision."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from asan import audit
from asan.authz import TenantPolicy
from asan.db import bump_counter
from asan.identity.policy_models import PolicyLine, PolicyRevision


async def stored_policy_text(session: AsyncSession, tenant_id: uuid.UUID) -> str | None:
    """The policy as ``policy.csv`` text; None when the tenant has none yet."""
    lines = (
        await session.scalars(
            select(PolicyLine.text)
            .where(PolicyLine.tenant_id == tenant_id)
            .order_by(PolicyLine.position)
        )
    ).all()
    return "\n".join(lines) + "\n" if lines else None


async def policy_revision(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    revision = await session.scalar(
        select(PolicyRevision.revision).where(PolicyRevision.tenant_id == tenant_id)
    )
    return revision or 0


async def save_policy(
    session: AsyncSession, tenant_id: uuid.UUID, policy: TenantPolicy, *, actor: str, reason: str
) -> None:
    """Replace the (checked) policy and bump its revision, in the caller's transaction."""
    await session.execute(delete(PolicyLine).where(PolicyLine.tenant_id == tenant_id))
    lines = [line for line in policy.to_csv().splitlines() if line.strip()]
    session.add_all(
        PolicyLine(tenant_id=tenant_id, position=index, text=line)
        for index, line in enumerate(lines)
    )
    await bump_counter(session, PolicyRevision, tenant_id)
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="policy.changed",
        detail={"reason": reason, "lines": len(lines)},
    )
