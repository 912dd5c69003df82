"""PostgreSQL row-level security: the database's own wall between tenants.

Migrations call these helpers for every tenant-owned table they create; they
do nothing on SQLite, where the ORM guards are the only wall. Policies read
two transaction-local settings made by ``_guards._set_row_security_context``:
``asan.tenant_id`` (the tenant a transaction acts for) and ``asan.scope``
(``platform`` for logged cross-tenant work). A transaction that set neither
sees no tenant row at all.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.engine import Connection

from asan.names import SQL_IDENTIFIER

POLICY_NAME = "tenant_isolation"
REGISTRY_READ_POLICY = "registry_read"
REGISTRY_WRITE_POLICY = "registry_write"
PLATFORM_ONLY_POLICY = "platform_only"

PLATFORM_PREDICATE = "(current_setting('asan.scope', true) = 'platform')"
TENANT_PREDICATE = (
    "(tenant_id = NULLIF(current_setting('asan.tenant_id', true), '')::uuid"
    f" OR {PLATFORM_PREDICATE})"
)

_PRIVILEGES = {"SELECT", "INSERT", "UPDATE", "DELETE"}


class _Operations(Protocol):
    """The part of ``alembic.op`` these helpers use."""

    def get_bind(self) -> Connection: ...

    def execute(self, sqltext: str) -> object: ...


def _identifier(name: str) -> str:
    if not SQL_IDENTIFIER.match(name):
        raise ValueError(f"not a safe SQL identifier: {name!r}")
    return f'"{name}"'


def _is_postgresql(op: _Operations) -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _force_row_security(op: _Operations, table: str) -> str:
    """ENABLE and FORCE (FORCE: the owner is filtered too); the quoted name, for the policy."""
    quoted = _identifier(table)
    op.execute(f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY")
    return quoted


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
    """``privileges``: a comma-separated subset of SELECT, INSERT, UPDATE, DELETE."""
    wanted = [privilege.strip().upper() for privilege in privileges.split(",")]
    if not set(wanted) <= _PRIVILEGES:
        raise ValueError(f"privileges must be among {sorted(_PRIVILEGES)}: {privileges!r}")
    if _is_postgresql(op):
        op.execute(f"GRANT {', '.join(wanted)} ON {_identifier(table)} TO {_identifier(role)}")


def enable_tenant_rls(op: _Operations, table: str) -> None:
    """ENABLE and FORCE row security (FORCE: the owner is filtered too) with the tenant policy."""
    if not _is_postgresql(op):
        return
    quoted = _force_row_security(op, table)
    op.execute(
        f"CREATE POLICY {POLICY_NAME} ON {quoted} "
        f"USING {TENANT_PREDICATE} WITH CHECK {TENANT_PREDICATE}"
    )


def enable_registry_rls(op: _Operations, table: str) -> None:
    """Platform tables: everyone may read, only the platform scope may write.

    Policies for one command are OR-ed: SELECT passes ``registry_read``;
    INSERT, UPDATE and DELETE only ``registry_write``.
    """
    if not _is_postgresql(op):
        return
    quoted = _force_row_security(op, table)
    op.execute(f"CREATE POLICY {REGISTRY_READ_POLICY} ON {quoted} FOR SELECT USING (true)")
    op.execute(
        f"CREATE POLICY {REGISTRY_WRITE_POLICY} ON {quoted} "
        f"USING {PLATFORM_PREDICATE} WITH CHECK {PLATFORM_PREDICATE}"
    )


def enable_platform_only_rls(op: _Operations, table: str) -> None:
    """Platform secrets (operators' password hashes): no access outside the platform scope."""
    if not _is_postgresql(op):
        return
    quoted = _force_row_security(op, table)
    op.execute(
        f"CREATE POLICY {PLATFORM_ONLY_POLICY} ON {quoted} "
        f"USING {PLATFORM_PREDICATE} WITH CHECK {PLATFORM_PREDICATE}"
    )


def disable_rls(op: _Operations, table: str) -> None:
    """Undo either kind: drop the policies, then row security itself."""
    if not _is_postgresql(op):
        return
    quoted = _identifier(table)
    for policy in (POLICY_NAME, REGISTRY_READ_POLICY, REGISTRY_WRITE_POLICY, PLATFORM_ONLY_POLICY):
        op.execute(f"DROP POLICY IF EXISTS {policy} ON {quoted}")
    op.execute(f"ALTER TABLE {quoted} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {quoted} DISABLE ROW LEVEL SECURITY")
