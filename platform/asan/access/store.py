"""A tenant's own policy in the database: its lines, in order, and a revision."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from asan import audit
from asan.authz import TenantPolicy, ensure_policy_editor, read_policy
from asan.db import bump_counter, on_commit
from asan.errors import ValidationError
from asan.i18n import N_
from asan.identity.policy_models import PolicyLine, PolicyRevision
from asan.tenancy import TenantRecord

if TYPE_CHECKING:
    from asan.access.authorizer import Authorizer


class PolicyChangedMeanwhileError(ValidationError):
    code = "policy_changed_meanwhile"
    status = 409


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
    session: AsyncSession,
    tenant_id: uuid.UUID,
    policy: TenantPolicy,
    *,
    actor: str,
    reason: str,
    expected_revision: int | None = None,
) -> None:
    """Replace the (checked) policy and bump its revision, in the caller's transaction.

    Given the ``expected_revision`` the change was made from, refused with
    :class:`PolicyChangedMeanwhileError` (nothing written) unless the revision
    still stands there: the bump itself is the check, so two changes made from
    the same revision cannot both be saved, however close together.
    """
    revision = await bump_counter(session, PolicyRevision, tenant_id, expected=expected_revision)
    if revision is None:
        raise PolicyChangedMeanwhileError(
            N_("someone else changed the policy meanwhile; reload it and make your change again")
        )
    await session.execute(delete(PolicyLine).where(PolicyLine.tenant_id == tenant_id))
    lines = [line for line in policy.to_csv().splitlines() if line.strip()]
    session.add_all(
        PolicyLine(tenant_id=tenant_id, position=index, text=line)
        for index, line in enumerate(lines)
    )
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="policy.changed",
        detail={"reason": reason, "lines": len(lines)},
    )


async def save_and_forget(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    policy: TenantPolicy,
    *,
    authorizer: Authorizer | None,
    actor: str,
    reason: str,
    expected_revision: int | None,
) -> None:
    """:func:`save_policy`, then the process's compiled copy dropped once the change commits.

    Other processes notice the new revision on their own.
    """
    await save_policy(
        session, tenant_id, policy, actor=actor, reason=reason, expected_revision=expected_revision
    )
    if authorizer is not None:
        forget = authorizer.forget
        on_commit(session, lambda: forget(tenant_id))


async def change_policy(
    session: AsyncSession,
    tenant: TenantRecord,
    text: str,
    *,
    authorizer: Authorizer,
    actor: str,
    reason: str,
    source: str,
    expected_revision: int | None = None,
) -> TenantPolicy:
    """Replace a tenant's policy with ``text``, in the caller's transaction.

    Refused when it is malformed (:class:`PolicyError`, every problem by line)
    or when nobody could edit it afterwards (``PolicyLockoutError``), or, given
    the ``expected_revision`` the author started from, when someone else saved
    a change meanwhile (:class:`PolicyChangedMeanwhileError`). The
    process's compiled copy is dropped once the change commits; other
    processes notice the new revision on their own.
    """
    policy = read_policy(text, source=source, domain=tenant.code, templates=authorizer.templates)
    ensure_policy_editor(policy, authorizer.templates)
    await save_and_forget(
        session,
        tenant.id,
        policy,
        authorizer=authorizer,
        actor=actor,
        reason=reason,
        expected_revision=expected_revision,
    )
    return policy
