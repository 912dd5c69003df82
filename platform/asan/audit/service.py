"""Writing to the audit trail."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from asan.audit.models import AuditEvent


def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
    tenant_id: uuid.UUID | None = None,
) -> AuditEvent:
    """Add an event to the session's unit of work; it commits with the change it describes.

    ``tenant_id`` is needed only in the platform scope; in a tenant scope the
    session stamps it.
    """
    event = AuditEvent(actor=actor, action=action, detail=detail or {})
    if tenant_id is not None:
        event.tenant_id = tenant_id
    session.add(event)
    return event
