"""console: staff's chosen console language; tenants' own wording of UI strings

Revision ID: 0005_console
Revises: 0004_applications
Create Date: 2026-11-29

Expand only: one nullable column on each account table (the language a person
chose in the console, remembered across devices) and two new tenant-owned
tables, which the previous release does not read: the overrides, and their
revision counter (bumped with every change, so that processes reload them only
when it moved).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from asan.db import UTCDateTime
from asan.db.rls import disable_rls, enable_tenant_rls, grant_runtime_access

revision: str = "0005_console"
down_revision: str | None = "0004_applications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
RELEASE = "0.1.0"
"""The platform release that ships this revision (expand / contract: asan.db.migration_rules)."""

DML = "SELECT, INSERT, UPDATE, DELETE"
TABLES = ("ui_text_overrides", "ui_text_revisions")


def upgrade() -> None:
    role = context.config.attributes.get("runtime_role", "asan_app")
    for table in ("staff_accounts", "platform_operators"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("locale", sa.String(16), nullable=True))
    op.create_table(
        "ui_text_overrides",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_ui_text_overrides_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ui_text_overrides"),
        sa.UniqueConstraint(
            "tenant_id",
            "locale",
            "message_id",
            name="uq_ui_text_overrides_tenant_id_locale_message_id",
        ),
    )
    op.create_table(
        "ui_text_revisions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_ui_text_revisions_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_ui_text_revisions"),
    )
    for table in TABLES:
        grant_runtime_access(op, table, role, privileges=DML)
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_rls(op, table)
        op.drop_table(table)
    for table in ("platform_operators", "staff_accounts"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("locale")
