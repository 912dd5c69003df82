"""identity: staff accounts, platform operators, API tokens, tenant policies

Revision ID: 0003_identity
Revises: 0002_catalogue
Create Date: 2026-11-29

Expand only. Tenant-owned tables get the tenant policy; platform operators'
table is readable and writable in the platform scope only (it holds password
hashes no tenant may see).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from asan.db.rls import (
    disable_rls,
    enable_platform_only_rls,
    enable_tenant_rls,
    grant_runtime_access,
)

revision: str = "0003_identity"
down_revision: str | None = "0002_catalogue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
RELEASE = "0.1.0"
"""The platform release that ships this revision (expand / contract: asan.db.migration_rules)."""

DML = "SELECT, INSERT, UPDATE, DELETE"
TENANT_TABLES = ("staff_accounts", "api_tokens", "policy_lines", "policy_revisions")


def _tenant_column(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"
        ),
    ]


def _account_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(120), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    role = context.config.attributes.get("runtime_role", "asan_app")
    op.create_table(
        "staff_accounts",
        *_tenant_column("staff_accounts"),
        *_account_columns(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_staff_accounts"),
        sa.UniqueConstraint("tenant_id", "username", name="uq_staff_accounts_tenant_id_username"),
    )
    op.create_table(
        "platform_operators",
        *_account_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_platform_operators"),
        sa.UniqueConstraint("username", name="uq_platform_operators_username"),
    )
    op.create_table(
        "api_tokens",
        *_tenant_column("api_tokens"),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_api_tokens"),
        sa.UniqueConstraint("tenant_id", "token_hash", name="uq_api_tokens_tenant_id_token_hash"),
    )
    op.create_table(
        "policy_lines",
        *_tenant_column("policy_lines"),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_policy_lines"),
        sa.UniqueConstraint("tenant_id", "position", name="uq_policy_lines_tenant_id_position"),
    )
    op.create_table(
        "policy_revisions",
        *_tenant_column("policy_revisions"),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_policy_revisions"),
    )
    for table in TENANT_TABLES:
        grant_runtime_access(op, table, role, privileges=DML)
        enable_tenant_rls(op, table)
    grant_runtime_access(op, "platform_operators", role, privileges=DML)
    enable_platform_only_rls(op, "platform_operators")


def downgrade() -> None:
    for table in (*TENANT_TABLES, "platform_operators"):
        disable_rls(op, table)
    for table in (
        "policy_revisions",
        "policy_lines",
        "api_tokens",
        "platform_operators",
        "staff_accounts",
    ):
        op.drop_table(table)
