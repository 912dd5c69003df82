"""The audit trail: who did what to a tenant, and when.

Owns the tenant-owned ``audit_events`` table and the one function that writes
to it; later areas (catalogue, identity, applications) record through it too.
"""

from asan.audit.models import AuditEvent
from asan.audit.service import record

__all__ = ["AuditEvent", "record"]
