"""PostgreSQL row-level security: the database's own wall between tenants.

Migrations call these helpers for every tenant-owned table they create; they
do nothing on SQLite, where the ORM guards are the only wall. Policies read
two transaction-local settings made by ``_guards._set_row_security_context``:
``asan.tenant_id`` (the tenant a transaction acts for) and ``asan.scope``
(``platform`` for logged cross-tenant work). A transaction that set neither
sees no tenant row at all.
"""

from __future__ import annotations

import re
from typing import Protocol

from sqlalchemy.engine import Connection

POLICY_NAME = "tenant_isolation"

TENANT_PREDICATE = (
    "(tenant_id = NULLIF(current_setting('asan.tenant_id', true), '')::uuid"
    " OR current_setting('asan.scope', true) = 'platform')"
)

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class _Operations(Protocol):
    """The part of ``alembic.op`` these helpers use."""

    def get_bind(self) -> Connection: ...

    def execute(self, sqltext: str) -> object: ...


def _identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a safe SQL identifier: {name!r}")
    return f'"{name}"'


def _is_postgresql(op: _Operations) -> bool:
    return op.get_bind().dialect.name == "postgresql"


def ensure_runtime_role(op: _Operations, role: str) -> None:
    """Create the runtime role if missing (NOLOGIN: operators grant it to a login user)."""
    if not _is_postgresql(op):
        return
    quoted = _identifier(role)
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
        f"THEN CREATE ROLE {quoted} NOLOGIN; END IF; END $$"
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")


def grant_runtime_access(op: _Operations, table: str, role: str, *, privileges: str) -> None:
    if _is_postgresql(op):
        op.execute(f"GRANT {privileges} ON {_identifier(table)} TO {_identifier(role)}")


def enable_tenant_rls(op: _Operations, table: str) -> None:
    """ENABLE and FORCE row security (FORCE: the owner is filtered too) with the tenant policy."""
    if not _is_postgresql(op):
        return
    quoted = _identifier(table)
    op.execute(f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY {POLICY_NAME} ON {quoted} "
        f"USING {TENANT_PREDICATE} WITH CHECK {TENANT_PREDICATE}"
    )


def disable_tenant_rls(op: _Operations, table: str) -> None:
    if not _is_postgresql(op):
        return
    quoted = _identifier(table)
    op.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {quoted}")
    op.execute(f"ALTER TABLE {quoted} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {quoted} DISABLE ROW LEVEL SECURITY")
