"""Tenancy: which country a request, a session or a job belongs to.

Owns the tenant registry (``models``), bundle files (``bundle``), host
resolution (``hosts``), the registry service shared by API, console and CLI
(``service``) and the request middleware that puts the tenant in context
(``middleware``). The database side of isolation lives in ``asan.db``.
"""

from asan.tenancy.bundle import BundleError, BundleProblem, TenantBundle, read_bundle, read_bundles
from asan.tenancy.models import Tenant, TenantHostname, TenantStatus
from asan.tenancy.records import TenantRecord
from asan.tenancy.service import LoadOutcome, LoadReport, TenantRegistry

__all__ = [
    "BundleError",
    "BundleProblem",
    "LoadOutcome",
    "LoadReport",
    "Tenant",
    "TenantBundle",
    "TenantHostname",
    "TenantRecord",
    "TenantRegistry",
    "TenantStatus",
    "read_bundle",
    "read_bundles",
]
