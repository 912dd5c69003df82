"""The tenant registry: platform-owned tables, readable before a tenant is known."""

from __future__ import annotations

import enum
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asan.db import Base, TimestampedMixin, json_column_type


class TenantStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Tenant(TimestampedMixin, Base):
    __tablename__ = "tenants"
    __table_args__ = (CheckConstraint("status IN ('active', 'suspended')", name="status_known"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    names: Mapped[dict[str, str]] = mapped_column(json_column_type())
    default_locale: Mapped[str] = mapped_column(String(16))
    locales: Mapped[list[str]] = mapped_column(json_column_type())
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=TenantStatus.ACTIVE.value)
    plugin_settings: Mapped[dict[str, Any]] = mapped_column(json_column_type(), default=dict)
    bundle_digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the bundle last loaded: reloading an unchanged bundle writes nothing."""

    hostnames: Mapped[list[TenantHostname]] = relationship(
        back_populates="tenant",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="TenantHostname.hostname",
    )


class TenantHostname(Base):
    """A tenant's own host name (e.g. ``asan.gov.az``); unique across the platform."""

    __tablename__ = "tenant_hostnames"

    hostname: Mapped[str] = mapped_column(String(253), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )

    tenant: Mapped[Tenant] = relationship(back_populates="hostnames")
