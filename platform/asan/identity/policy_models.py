"""Where each tenant's own policy lives: its lines, and a revision every change bumps.

The platform's role templates ship with the code (``asan.authz``); a tenant's
own rules (its ``p``, ``g`` and ``sod`` lines) are rows here, seeded from its
bundle's ``policy.csv`` and changed through the API. Processes compare the
revision with the one their compiled policy was built from.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from asan.db import Base, TenantOwned


class PolicyLine(TenantOwned, Base):
    __tablename__ = "policy_lines"
    __table_args__ = (UniqueConstraint("tenant_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(500))
    """One line of policy.csv, e.g. ``g, operator@az, operator, az``."""


class PolicyRevision(TenantOwned, Base):
    __tablename__ = "policy_revisions"

    revision: Mapped[int] = mapped_column(Integer, default=0)
