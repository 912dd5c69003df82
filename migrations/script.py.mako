"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Expand/contract (asan.db.migration_rules, checked by the test suite): a revision
only adds (tables, nullable columns, indexes made concurrently) or only removes
what the previous release no longer uses (listed in RETIRED).
Tenant-owned tables get enable_tenant_rls() and grant_runtime_access().
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}

revision: str = ${repr(up_revision)}
down_revision: str | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}
<% import asan %>\
RELEASE = "${asan.__version__}"
"""The platform release that ships this revision."""
RETIRED: dict[str, str] = {}
"""``"table.column"`` (or ``"table"``) dropped here -> the release that stopped using it."""


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
