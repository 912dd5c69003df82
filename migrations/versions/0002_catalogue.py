"""catalogue: agencies, categories, versioned services; row-level security

Revision ID: 0002_catalogue
Revises: 0001_tenancy
Create Date: 2026-11-29

Expand only: five new tenant-owned tables, each with the tenant policy.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from asan.db.rls import disable_rls, enable_tenant_rls, grant_runtime_access

revision: str = "0002_catalogue"
down_revision: str | None = "0001_tenancy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
RELEASE = "0.1.0"
"""The platform release that ships this revision (expand / contract: asan.db.migration_rules)."""

DML = "SELECT, INSERT, UPDATE, DELETE"
TABLES = ("agencies", "categories", "services", "service_versions", "catalogue_revisions")


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _tenant_column(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"
        ),
    ]


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    role = context.config.attributes.get("runtime_role", "asan_app")
    op.create_table(
        "agencies",
        *_tenant_column("agencies"),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", _json(), nullable=False),
        sa.Column("description", _json(), nullable=False),
        sa.Column("contact", _json(), nullable=False),
        sa.Column("connector", sa.String(64), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("kind IN ('public', 'private')", name="ck_agencies_kind_known"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_agencies"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_agencies_tenant_id_code"),
    )
    op.create_table(
        "categories",
        *_tenant_column("categories"),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", _json(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_categories"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_categories_tenant_id_code"),
    )
    op.create_table(
        "services",
        *_tenant_column("services"),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("draft_version", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'retired')", name="ck_services_status_known"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_services"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_services_tenant_id_code"),
    )
    op.create_table(
        "service_versions",
        *_tenant_column("service_versions"),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("content", _json(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('draft', 'published', 'superseded')",
            name="ck_service_versions_state_known",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "service_id"],
            ["services.tenant_id", "services.id"],
            name="fk_service_versions_tenant_id_services",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_service_versions"),
        sa.UniqueConstraint(
            "tenant_id",
            "service_id",
            "number",
            name="uq_service_versions_tenant_id_service_id_number",
        ),
    )
    op.create_table(
        "catalogue_revisions",
        *_tenant_column("catalogue_revisions"),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_catalogue_revisions"),
    )
    for table in TABLES:
        grant_runtime_access(op, table, role, privileges=DML)
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_rls(op, table)
    for table in ("catalogue_revisions", "service_versions", "services", "categories", "agencies"):
        op.drop_table(table)
