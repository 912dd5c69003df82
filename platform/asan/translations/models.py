"""A tenant's own wording of the platform's UI strings, per locale, and its revision."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from asan.db import Base, TenantOwned


class UiTextOverride(TenantOwned, Base):
    """``text`` replaces the platform's translation of ``message_id`` in ``locale``.

    The message id is the English source string of ``messages.pot``; an
    override of an id the platform no longer has is kept (and shown as
    obsolete) rather than deleted behind the tenant admin's back.
    """

    __tablename__ = "ui_text_overrides"
    __table_args__ = (UniqueConstraint("tenant_id", "locale", "message_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    locale: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column()


class UiTextRevision(TenantOwned, Base):
    """One row per tenant, bumped in every transaction that changes its overrides.

    Processes compare it with the revision of their cached copy: that is how a
    change made by one process reaches the others, and how the others skip
    reading the overrides again while nothing changed.
    """

    __tablename__ = "ui_text_revisions"

    revision: Mapped[int] = mapped_column(Integer, default=0)
