"""How a request's Host header maps to the platform or to a tenant."""

from __future__ import annotations

import enum


class HostKind(enum.Enum):
    PLATFORM = "platform"
    """The bare base domain: the central team's API."""
    TENANT_SUBDOMAIN = "tenant_subdomain"
    """``<code>.<base domain>``."""
    OWN_HOSTNAME = "own_hostname"
    """Anything else: looked up among tenants' own host names."""


def normalise_host(raw: str) -> str:
    """Lower-case, without port or trailing dot (``AZ.localhost.:8000`` -> ``az.localhost``)."""
    host = raw.strip().lower()
    if host.startswith("["):  # IPv6 literal, possibly with a port
        return host.split("]")[0] + "]"
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return host.rstrip(".")


def classify_host(host: str, base_domain: str) -> tuple[HostKind, str | None]:
    """The kind of host, and the tenant code when the host names one."""
    if host == base_domain:
        return HostKind.PLATFORM, None
    suffix = "." + base_domain
    if host.endswith(suffix):
        label = host[: -len(suffix)]
        if label and "." not in label:
            return HostKind.TENANT_SUBDOMAIN, label
    return HostKind.OWN_HOSTNAME, None
