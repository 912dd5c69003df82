"""applications: applications, timelines, staff access records, the delivery outbox

Revision ID: 0004_applications
Revises: 0003_identity
Create Date: 2026-11-29

Expand only: four new tenant-owned tables (tenant policy, runtime grants) and
one nullable column on staff_accounts (the agency an officer works for), which
the previous release simply does not read.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from asan.db import UTCDateTime
from asan.db.rls import disable_rls, enable_tenant_rls, grant_runtime_access

revision: str = "0004_applications"
down_revision: str | None = "0003_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
RELEASE = "0.1.0"
"""The platform release that ships this revision (expand / contract: asan.db.migration_rules)."""

DML = "SELECT, INSERT, UPDATE, DELETE"
TABLES = ("applications", "application_events", "application_access", "delivery_jobs")


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _owned(table: str, *, child: bool = True) -> list[sa.SchemaItem]:
    items: list[sa.SchemaItem] = [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=f"pk_{table}"),
    ]
    if child:
        items += [
            sa.Column("application_id", sa.Uuid(), nullable=False),
            sa.ForeignKeyConstraint(
                ["tenant_id", "application_id"],
                ["applications.tenant_id", "applications.id"],
                name=f"fk_{table}_tenant_id_applications",
                ondelete="CASCADE",
            ),
        ]
    return items


def upgrade() -> None:
    role = context.config.attributes.get("runtime_role", "asan_app")
    op.create_table(
        "applications",
        *_owned("applications", child=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("request_digest", sa.String(64), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("service_version", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("applicant", _json(), nullable=False),
        sa.Column("form", _json(), nullable=False),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("deadline_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("agency_reference", sa.String(200), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('submitted', 'forwarded', 'in_progress', 'ready', 'issued', "
            "'rejected', 'cancelled')",
            name="ck_applications_status_known",
        ),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name="uq_applications_tenant_id_idempotency_key"
        ),
        sa.UniqueConstraint("tenant_id", "reference", name="uq_applications_tenant_id_reference"),
    )
    op.create_index(
        "ix_applications_queue", "applications", ["tenant_id", "agency", "status", "deadline_at"]
    )
    op.create_table(
        "application_events",
        *_owned("application_events"),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status_from", sa.String(16), nullable=True),
        sa.Column("status_to", sa.String(16), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("detail", _json(), nullable=False),
    )
    op.create_index(
        "ix_application_events_application",
        "application_events",
        ["tenant_id", "application_id", "at"],
    )
    op.create_table(
        "application_access",
        *_owned("application_access"),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("personal_data", sa.Boolean(), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
    )
    op.create_index(
        "ix_application_access_application",
        "application_access",
        ["tenant_id", "application_id", "at"],
    )
    op.create_table(
        "delivery_jobs",
        *_owned("delivery_jobs"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("locked_by", sa.String(120), nullable=True),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('submit', 'poll', 'cancel', 'notify')", name="ck_delivery_jobs_kind_known"
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'done', 'dead')", name="ck_delivery_jobs_state_known"
        ),
    )
    op.create_index("ix_delivery_jobs_due", "delivery_jobs", ["state", "next_attempt_at"])
    with op.batch_alter_table("staff_accounts") as batch:
        batch.add_column(sa.Column("agency", sa.String(64), nullable=True))
    for table in TABLES:
        grant_runtime_access(op, table, role, privileges=DML)
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TABLES:
        disable_rls(op, table)
    with op.batch_alter_table("staff_accounts") as batch:
        batch.drop_column("agency")
    for table in reversed(TABLES):
        op.drop_table(table)
