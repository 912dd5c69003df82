"""Which tenant a piece of work acts for.

Every database session is bound to exactly one scope when it is created: a
:class:`TenantScope` (the normal case, resolved from the request's host) or a
:class:`PlatformScope` (cross-tenant work by the central team, always named
and logged). There is no implicit default: no scope means no database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TenantScope:
    tenant_id: uuid.UUID
    code: str

    @property
    def label(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class PlatformScope:
    """Cross-tenant access. ``reason`` says why, for the log and the audit."""

    reason: str
    routine: bool = False
    """Repeated machine work (the delivery worker's claim): logged at debug, not info,
    so that the log of cross-tenant openings stays readable."""

    @property
    def label(self) -> str:
        return "platform"


@dataclass(frozen=True, slots=True)
class RegistryScope:
    """Read-only access to platform tables (the tenant registry), and nothing else.

    Host resolution runs on every request before a tenant is known; it needs
    the registry but must never see a tenant's rows, so the guards refuse any
    statement in this scope that touches a tenant-owned model, and any write.
    """

    @property
    def label(self) -> str:
        return "registry"


Scope = TenantScope | PlatformScope | RegistryScope

_current: ContextVar[Scope | None] = ContextVar("asan_scope", default=None)


def current_scope() -> Scope | None:
    return _current.get()


@contextmanager
def use_scope(scope: Scope) -> Iterator[Scope]:
    """Make ``scope`` current for the enclosed code, and restore the previous one after.

    Restoring through the token (rather than setting ``None``) keeps nested
    scopes correct and guarantees a cancelled request cannot leave its tenant
    behind for the next task that reuses the context.
    """
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
