"""Catalogue tables: all tenant-owned, keyed (tenant_id, id), codes unique per tenant.

Agencies and categories are edited in place (every change audited). Services
are versioned: each edit of a published service makes a new draft version,
and publishing swaps which version the public sees, in one transaction.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asan.db import Base, TenantOwned, TimestampedMixin, json_column_type, utcnow


class ServiceStatus(enum.StrEnum):
    DRAFT = "draft"
    """Never published: invisible to the public."""
    PUBLISHED = "published"
    RETIRED = "retired"
    """No longer offered; its versions stay for the record."""


class VersionState(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class Agency(TenantOwned, TimestampedMixin, Base):
    __tablename__ = "agencies"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("kind IN ('public', 'private')", name="kind_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[dict[str, str]] = mapped_column(json_column_type())
    description: Mapped[dict[str, str]] = mapped_column(json_column_type())
    contact: Mapped[dict[str, str]] = mapped_column(json_column_type(), default=dict)
    connector: Mapped[str | None] = mapped_column(String(64), default=None)
    """The plugin that carries applications to this agency (set by the connector work)."""


class Category(TenantOwned, TimestampedMixin, Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    """Display order (``order`` in the bundle file)."""
    name: Mapped[dict[str, str]] = mapped_column(json_column_type())


class Service(TenantOwned, TimestampedMixin, Base):
    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("status IN ('draft', 'published', 'retired')", name="status_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    published_version: Mapped[int | None] = mapped_column(default=None)
    draft_version: Mapped[int | None] = mapped_column(default=None)

    versions: Mapped[list[ServiceVersion]] = relationship(
        back_populates="service",
        order_by="ServiceVersion.number",
        cascade="all, delete-orphan",
        lazy="raise",
    )


class ServiceVersion(TenantOwned, Base):
    """One version of a service's content, exactly the shape of a bundle entry."""

    __tablename__ = "service_versions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "service_id", "number"),
        ForeignKeyConstraint(
            ["tenant_id", "service_id"],
            ["services.tenant_id", "services.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("state IN ('draft', 'published', 'superseded')", name="state_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    service_id: Mapped[uuid.UUID] = mapped_column()
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    content: Mapped[dict[str, Any]] = mapped_column(json_column_type())
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(200), default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)

    service: Mapped[Service] = relationship(back_populates="versions")


class CatalogueRevision(TenantOwned, Base):
    """One row per tenant, bumped in every transaction that changes the catalogue.

    Processes compare it with the revision of their cached copy: that is how a
    publish made by one process reaches the others.
    """

    __tablename__ = "catalogue_revisions"

    revision: Mapped[int] = mapped_column(Integer, default=0)
