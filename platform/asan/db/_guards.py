"""Session listeners: the ORM wall between tenants.

They are registered on :class:`ScopedSession`, the *sync* session class that
every ``AsyncSession`` made by :class:`asan.db.Database` wraps. Registering on
an ``AsyncSession`` subclass (or on a session class a library later swaps out)
would silently never fire; ``tests/db/test_guards.py`` proves they fire in the
path the app uses.
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, with_loader_criteria
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.orm.base import object_state

from asan.db._base import TenantOwned
from asan.db._scope import PlatformScope, RegistryScope, Scope, TenantScope
from asan.errors import TenantScopeError

SCOPE_KEY = "asan.scope"

log = structlog.get_logger(__name__)


class ScopedSession(Session):
    """The only session class the platform uses; carries its scope in ``info``."""


def scope_of(session: Session) -> Scope:
    scope = session.info.get(SCOPE_KEY)
    if scope is None:
        raise TenantScopeError(
            "database session has no scope: open it for a tenant or an explicit platform scope"
        )
    return scope  # type: ignore[no-any-return]


def _is_tenant_owned(mapper: Any) -> bool:
    return issubclass(mapper.class_, TenantOwned)


def _assigned_values(state: ORMExecuteState) -> list[dict[str, Any]]:
    """What an ORM INSERT/UPDATE assigns, one dict per row, keyed by column name."""
    statement: Any = state.statement
    rows: list[dict[str, Any]] = []
    single = dict(getattr(statement, "_values", None) or {})
    single.update(dict(getattr(statement, "_ordered_values", None) or ()))
    if single:
        rows.append(single)
    for values in getattr(statement, "_multi_values", ()):
        rows.extend(values)
    parameters = state.parameters
    if isinstance(parameters, dict):
        rows.append(parameters)
    elif isinstance(parameters, list | tuple):
        rows.extend(parameters)
    return [{getattr(key, "key", key): value for key, value in row.items()} for row in rows]


def _bound_value(value: Any) -> Any:
    return getattr(value, "value", value)  # BindParameter -> its value


@event.listens_for(ScopedSession, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    """Scope ORM statements; refuse those the scope may not make.

    Tenant scope: tenant-owned models only (the registry is read through the
    registry scope), every SELECT/UPDATE/DELETE limited to the tenant, no
    INSERT or UPDATE naming another tenant. Registry scope: SELECTs of platform
    tables only. Platform scope: anything but moving rows between tenants.
    Core statements on tables and raw SQL are not ORM statements: on
    PostgreSQL row-level security covers them (see README).
    """
    scope = scope_of(state.session)
    mappers = state.all_mappers
    if (
        state.is_update
        and any("tenant_id" in row for row in _assigned_values(state))
        and any(_is_tenant_owned(m) for m in mappers)
    ):
        raise TenantScopeError("refused an UPDATE that assigns tenant_id: rows never move")
    if isinstance(scope, PlatformScope):
        return
    if isinstance(scope, RegistryScope):
        if not state.is_select or any(_is_tenant_owned(m) for m in mappers):
            raise TenantScopeError("the registry scope reads platform tables only")
        return
    if not all(_is_tenant_owned(m) for m in mappers):
        raise TenantScopeError(
            "a tenant scope touches tenant-owned data only; read the registry through "
            "the registry scope and change it in a platform scope"
        )
    if state.is_insert:
        for row in _assigned_values(state):
            if "tenant_id" in row and _bound_value(row["tenant_id"]) != scope.tenant_id:
                raise TenantScopeError(
                    f"refused an INSERT for another tenant in scope {scope.label}"
                )
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria below already propagate to these loads
    if state.is_select or state.is_update or state.is_delete:
        tenant_id = scope.tenant_id
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantOwned,
                lambda cls: cls.tenant_id == tenant_id,
                include_aliases=True,
            )
        )


def _refuse(obj: object, scope: Scope, what: str) -> TenantScopeError:
    return TenantScopeError(
        f"refused to {what} {type(obj).__name__} of tenant {getattr(obj, 'tenant_id', None)} "
        f"in scope {scope.label}"
    )


@event.listens_for(ScopedSession, "before_flush")
def _guard_flush(session: Session, _context: Any, _instances: Any) -> None:
    scope = scope_of(session)
    if isinstance(scope, RegistryScope):
        if session.new or session.dirty or session.deleted:
            raise TenantScopeError("the registry scope is read-only")
        return
    if isinstance(scope, TenantScope):
        for obj in (*session.new, *session.dirty, *session.deleted):
            if not isinstance(obj, TenantOwned):
                raise TenantScopeError(
                    f"refused to write {type(obj).__name__} in tenant scope {scope.label}: "
                    "platform tables change only in a platform scope"
                )
    for obj in session.new:
        if not isinstance(obj, TenantOwned):
            continue
        if isinstance(scope, TenantScope):
            if obj.tenant_id is None:
                obj.tenant_id = scope.tenant_id
            elif obj.tenant_id != scope.tenant_id:
                raise _refuse(obj, scope, "insert")
        elif obj.tenant_id is None:
            raise TenantScopeError(
                f"{type(obj).__name__} created in the platform scope needs an explicit tenant_id"
            )
    for obj in (*session.dirty, *session.deleted):
        if not isinstance(obj, TenantOwned):
            continue
        if object_state(obj).persistent and get_history(obj, "tenant_id").deleted:
            raise _refuse(obj, scope, "move")
        if isinstance(scope, TenantScope) and obj.tenant_id != scope.tenant_id:
            raise _refuse(obj, scope, "write")


@event.listens_for(ScopedSession, "after_begin")
def _set_row_security_context(
    session: Session, _transaction: SessionTransaction, connection: Connection
) -> None:
    """Tell PostgreSQL's row-level security whom this transaction acts for.

    ``set_config(..., true)`` is transaction-local, so the value dies with the
    transaction and a pooled connection cannot carry it to the next request.
    (``SET LOCAL`` takes no bind parameters under asyncpg.)
    """
    if connection.dialect.name != "postgresql":
        return
    scope = scope_of(session)
    # Both settings, every time, even empty: whatever a connection carried before
    # (a session-level setting, an outer test transaction) must not survive.
    if isinstance(scope, TenantScope):
        tenant, kind = str(scope.tenant_id), "tenant"
    elif isinstance(scope, PlatformScope):
        tenant, kind = "", "platform"
    else:
        tenant, kind = "", "registry"
    connection.execute(
        text(
            "SELECT set_config('asan.tenant_id', :tenant, true),"
            " set_config('asan.scope', :kind, true)"
        ),
        {"tenant": tenant, "kind": kind},
    )
