"""Accounts and tokens. Staff accounts and API tokens are tenant-owned; platform
operators belong to the platform and have a table of their own."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from asan.db import Base, TenantOwned, TimestampedMixin


class _AccountColumns(TimestampedMixin):
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(120))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    """Argon2id (argon2-cffi's encoded form, parameters included)."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    locale: Mapped[str | None] = mapped_column(String(16), default=None)
    """The language chosen in the console; applied at each sign-in, on any device."""


class StaffAccount(TenantOwned, _AccountColumns, Base):
    __tablename__ = "staff_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "username"),)

    agency: Mapped[str | None] = mapped_column(String(64), default=None)
    """The agency an officer works for: they see that agency's applications only."""


class PlatformOperator(_AccountColumns, Base):
    __tablename__ = "platform_operators"
    __table_args__ = (UniqueConstraint("username"),)


class ApiToken(TenantOwned, Base):
    """A machine's credential (kiosk, display board, agency system), scoped to one role."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("tenant_id", "token_hash"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the token: the token itself is shown once and never stored."""
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
