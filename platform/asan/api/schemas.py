"""Shapes of what the tenancy routes return (msgspec: fast, typed, documented)."""

from __future__ import annotations

import msgspec
from babel import Locale

from asan.tenancy import TenantRecord


class TenantProfile(msgspec.Struct, kw_only=True):
    """What anyone may know about a tenant: enough to show its pages in its languages."""

    code: str
    names: dict[str, str]
    locales: list[str]
    default_locale: str
    text_direction: dict[str, str]
    """``ltr`` or ``rtl`` per locale, from Babel's locale data."""
    timezone: str
    currency: str

    @classmethod
    def of(cls, tenant: TenantRecord) -> TenantProfile:
        return cls(
            code=tenant.code,
            names=dict(tenant.names),
            locales=list(tenant.locales),
            default_locale=tenant.default_locale,
            text_direction={
                locale: Locale.parse(locale).text_direction for locale in tenant.locales
            },
            timezone=tenant.timezone,
            currency=tenant.currency,
        )


class TenantDirectoryEntry(TenantProfile, kw_only=True):
    """A tenant as listed on the base domain, with where to reach it."""

    hosts: list[str]

    @classmethod
    def listing(cls, tenant: TenantRecord, base_domain: str) -> TenantDirectoryEntry:
        profile = TenantProfile.of(tenant)
        return cls(
            **{name: getattr(profile, name) for name in TenantProfile.__struct_fields__},
            hosts=tenant.hosts(base_domain),
        )
