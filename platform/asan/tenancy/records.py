"""Immutable snapshots of registry rows, safe to cache and to share between requests.

Everything outside the registry service sees tenants as :class:`TenantRecord`:
an ORM row is tied to the session that loaded it and could be changed or
lazily loaded by whoever holds it; a record cannot.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from asan.tenancy.models import Tenant, TenantStatus


@dataclass(frozen=True, slots=True)
class TenantRecord:
    id: uuid.UUID
    code: str
    names: Mapping[str, str]
    default_locale: str
    locales: tuple[str, ...]
    timezone: str
    currency: str
    status: str
    hostnames: tuple[str, ...]
    """The tenant's own host names, besides ``<code>.<base domain>``."""
    plugin_settings: Mapping[str, Any]
    updated_at: datetime

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE

    def hosts(self, base_domain: str) -> list[str]:
        """Every host the tenant answers on, its sub-domain first."""
        return [f"{self.code}.{base_domain}", *self.hostnames]

    @classmethod
    def of(cls, tenant: Tenant) -> TenantRecord:
        return cls(
            id=tenant.id,
            code=tenant.code,
            names=MappingProxyType(dict(tenant.names)),
            default_locale=tenant.default_locale,
            locales=tuple(tenant.locales),
            timezone=tenant.timezone,
            currency=tenant.currency,
            status=tenant.status,
            hostnames=tuple(sorted(host.hostname for host in tenant.hostnames)),
            plugin_settings=MappingProxyType(dict(tenant.plugin_settings)),
            updated_at=tenant.updated_at,
        )
