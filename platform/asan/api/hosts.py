"""Which hosts a route answers on, declared by every route in its ``opt``.

Routes without a declaration are refused by the middleware (fail closed), and
``tests/api/test_routes.py`` walks the route table so none ships undeclared.
"""

from __future__ import annotations

from enum import StrEnum

HOST_OPT = "host"


class ServedOn(StrEnum):
    TENANT = "tenant"
    """A country's host: the tenant is resolved and put in context."""
    PLATFORM = "platform"
    """The bare base domain: the central team's API."""
    TENANT_OR_PLATFORM = "tenant_or_platform"
    """Both: a tenant's host (tenant resolved) or the base domain (no tenant): sign-in."""
    ANY = "any"
    """Any host, even an IP address: probes and static assets only."""


def on(served_on: ServedOn) -> dict[str, ServedOn]:
    """``opt`` for a route or router: ``@get("/x", opt=on(ServedOn.TENANT))``."""
    return {HOST_OPT: served_on}
