"""The database layer, and with it two of the three walls between tenants.

Owns the declarative base and the split between platform-owned and
tenant-owned tables (``base``), the scope a session works in (``scope``), the
session listeners that scope every ORM statement and refuse cross-tenant
writes (``guards``), PostgreSQL row-level security (``rls``), the engine and
session factory (``database``) and the Alembic bridge (``migrate``).
"""

from asan.db._base import (
    Base,
    TenantOwned,
    TimestampedMixin,
    UTCDateTime,
    json_column_type,
    utcnow,
)
from asan.db._database import Database, bump_counter, mostly_reading, on_commit
from asan.db._scope import (
    PlatformScope,
    RegistryScope,
    Scope,
    TenantScope,
    current_scope,
    use_scope,
)

__all__ = [
    "Base",
    "Database",
    "PlatformScope",
    "RegistryScope",
    "Scope",
    "TenantOwned",
    "TenantScope",
    "TimestampedMixin",
    "UTCDateTime",
    "bump_counter",
    "current_scope",
    "json_column_type",
    "mostly_reading",
    "on_commit",
    "use_scope",
    "utcnow",
]
