"""Tenant portability: everything of one tenant out of one instance and into another.

So that a country can move from the shared service to an instance of its own
(``asan tenant export CODE DIR``, then ``asan tenant import DIR`` there), and
the central team can keep a tenant's full copy. The format (``_format``), the
exporter (``_export``), the importer (``_import``) and a writer for the small
part of TOML a bundle uses (``_toml``).

An export is a folder::

    manifest.json              format and platform version, schema revision, tenant code,
                               export time, and per file its SHA-256, size and row count
    bundle/<code>/tenant.toml  the registry entry, as an ordinary bundle
    bundle/<code>/catalogue.yaml  the catalogue as the public sees it (``asan catalogue export``)
    bundle/<code>/policy.csv   the tenant's stored policy
    tenant.jsonl               the registry row's id, status and times
    agencies.jsonl, categories.jsonl, services.jsonl, service_versions.jsonl
                               the catalogue with every version, drafts and superseded ones too
    staff_accounts.jsonl       staff without password hashes (imported accounts cannot sign
                               in until given a new password)
    applications.jsonl, application_events.jsonl, application_access.jsonl,
    delivery_jobs.jsonl        applications, their timelines, staff openings, and the outbox
                               (leases cleared: pending jobs are due on the new instance)
    audit_events.jsonl         the audit trail

JSON Lines rows have sorted keys, UTF-8, times in UTC as
``2025-01-31T09:30:00.000000Z``, and come in a fixed order, so exporting what
an import wrote gives the same bytes; only ``exported_at`` in the manifest
differs. Not exported: API tokens (re-issue them), password hashes, login
failure counters, worker leases, and the per-instance revision counters.
"""

from asan.portability._export import ExportReport, export_tenant
from asan.portability._format import (
    FORMAT_VERSION,
    NOT_EXPORTED,
    ROW_KINDS,
    UNUSABLE_PASSWORD,
    PortabilityError,
    PortabilityProblem,
    TransferProgress,
)
from asan.portability._import import CheckedExport, ImportReport, check_export, import_tenant

__all__ = [
    "FORMAT_VERSION",
    "NOT_EXPORTED",
    "ROW_KINDS",
    "UNUSABLE_PASSWORD",
    "CheckedExport",
    "ExportReport",
    "ImportReport",
    "PortabilityError",
    "PortabilityProblem",
    "TransferProgress",
    "check_export",
    "export_tenant",
    "import_tenant",
]
