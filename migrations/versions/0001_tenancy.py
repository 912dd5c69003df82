"""tenancy: tenant registry, host names, audit trail; row-level security

Revision ID: 0001_tenancy
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from asan.db.rls import (
    disable_rls,
    enable_registry_rls,
    enable_tenant_rls,
    ensure_runtime_role,
    grant_runtime_access,
)

revision: str = "0001_tenancy"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
RELEASE = "0.1.0"
"""The platform release that ships this revision (expand / contract: asan.db.migration_rules)."""

DML = "SELECT, INSERT, UPDATE, DELETE"


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    role = context.config.attributes.get("runtime_role", "asan_app")
    ensure_runtime_role(op, role)

    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("names", _json(), nullable=False),
        sa.Column("default_locale", sa.String(16), nullable=False),
        sa.Column("locales", _json(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("plugin_settings", _json(), nullable=False),
        sa.Column("bundle_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'suspended')", name="ck_tenants_status_known"),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
        sa.UniqueConstraint("code", name="uq_tenants_code"),
    )
    op.create_table(
        "tenant_hostnames",
        sa.Column("hostname", sa.String(253), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_tenant_hostnames_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("hostname", name="pk_tenant_hostnames"),
    )
    op.create_index("ix_tenant_hostnames_tenant_id", "tenant_hostnames", ["tenant_id"])
    op.create_table(
        "audit_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("detail", _json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_audit_events_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_tenant_occurred", "audit_events", ["tenant_id", "occurred_at"])

    for table in ("tenants", "tenant_hostnames", "audit_events"):
        grant_runtime_access(op, table, role, privileges=DML)
    grant_runtime_access(op, "alembic_version", role, privileges="SELECT")
    enable_registry_rls(op, "tenants")
    enable_registry_rls(op, "tenant_hostnames")
    enable_tenant_rls(op, "audit_events")


def downgrade() -> None:
    for table in ("audit_events", "tenant_hostnames", "tenants"):
        disable_rls(op, table)
    op.drop_index("ix_audit_events_tenant_occurred", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_tenant_hostnames_tenant_id", table_name="tenant_hostnames")
    op.drop_table("tenant_hostnames")
    op.drop_table("tenants")
