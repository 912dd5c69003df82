"""Shapes of names the platform accepts from settings and bundles, defined once."""

from __future__ import annotations

import re

_DNS_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"

HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_DNS_LABEL}(\.{_DNS_LABEL})*$")
"""A lower-case DNS host name (``localhost``, ``asan.gov.az``)."""

SQL_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
"""A PostgreSQL identifier that needs no quoting care (roles, tables)."""
