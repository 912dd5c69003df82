"""Applications, their timelines, who opened them, and their delivery jobs (the outbox).

All tenant-owned. An application and its first delivery job are written in
the same transaction (the transactional outbox), so an application can never
exist without the job that carries it to its agency, nor a job without it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asan.db import Base, TenantOwned, json_column_type, utcnow


class Application(TenantOwned, Base):
    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("tenant_id", "reference"),
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_applications_queue", "tenant_id", "agency", "status", "deadline_at"),
        CheckConstraint(
            "status IN ('submitted', 'forwarded', 'in_progress', 'ready', 'issued', "
            "'rejected', 'cancelled')",
            name="status_known",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(32))
    """What the citizen holds (receipt, SMS); with the secret, it opens the application."""
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the canonical request: the same key with another body is refused."""
    service: Mapped[str] = mapped_column(String(64))
    service_version: Mapped[int] = mapped_column(Integer)
    agency: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    applicant: Mapped[dict[str, Any]] = mapped_column(json_column_type())
    """Personal data: shown only to holders of ``applications.personal``."""
    form: Mapped[dict[str, Any]] = mapped_column(json_column_type())
    """Personal data too: the answers to the service's form."""
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime] = mapped_column()
    """From the service's processing time standard, counted in the tenant's time zone."""
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    agency_reference: Mapped[str | None] = mapped_column(String(200), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ApplicationEvent(TenantOwned, Base):
    """One step of the timeline: a transition, a delivery, a note; never changed afterwards."""

    __tablename__ = "application_events"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "application_id"],
            ["applications.tenant_id", "applications.id"],
            ondelete="CASCADE",
        ),
        Index("ix_application_events_application", "tenant_id", "application_id", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column()
    application: Mapped[Application] = relationship(lazy="raise")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    """``status`` (a transition), ``delivery`` (sent, failed, dead-lettered), ``note``."""
    status_from: Mapped[str | None] = mapped_column(String(16), default=None)
    status_to: Mapped[str | None] = mapped_column(String(16), default=None)
    actor: Mapped[str] = mapped_column(String(200))
    """``staff:<username>``, ``token:<id>``, ``citizen``, ``connector:<plugin>``, ``worker``."""
    note: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(json_column_type(), default=dict)


class ApplicationAccess(TenantOwned, Base):
    """Every time staff open an application: who, when, which, and whether personal data showed."""

    __tablename__ = "application_access"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "application_id"],
            ["applications.tenant_id", "applications.id"],
            ondelete="CASCADE",
        ),
        Index("ix_application_access_application", "tenant_id", "application_id", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column()
    application: Mapped[Application] = relationship(lazy="raise")
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    personal_data: Mapped[bool] = mapped_column()
    request_id: Mapped[str] = mapped_column(String(64), default="")


class DeliveryJob(TenantOwned, Base):
    """The outbox: work for an agency or a citizen that must happen at least once.

    A worker leases a due job (``locked_until``); if it dies, the lease runs
    out and another worker takes the job again, with the same idempotency key.
    """

    __tablename__ = "delivery_jobs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "application_id"],
            ["applications.tenant_id", "applications.id"],
            ondelete="CASCADE",
        ),
        Index("ix_delivery_jobs_due", "state", "next_attempt_at"),
        CheckConstraint("state IN ('pending', 'done', 'dead')", name="state_known"),
        CheckConstraint("kind IN ('submit', 'poll', 'cancel', 'notify')", name="kind_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column()
    application: Mapped[Application] = relationship(lazy="raise")
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(120), default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(json_column_type(), default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
