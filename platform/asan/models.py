"""Every model module, imported once, so the metadata is whole.

Alembic's autogenerate, the isolation tests and the runtime-role check all
walk ``Base.metadata``; a model that is not imported here is invisible to
them. Add new areas' model modules to this list.
"""

from asan.applications.models import Application, ApplicationAccess, ApplicationEvent, DeliveryJob
from asan.audit.models import AuditEvent
from asan.catalogue.models import (
    Agency,
    CatalogueRevision,
    Category,
    Service,
    ServiceVersion,
)
from asan.db import Base
from asan.identity.models import ApiToken, PlatformOperator, StaffAccount
from asan.identity.policy_models import PolicyLine, PolicyRevision
from asan.tenancy.models import Tenant, TenantHostname
from asan.translations.models import UiTextOverride, UiTextRevision

metadata = Base.metadata

__all__ = [
    "Agency",
    "ApiToken",
    "Application",
    "ApplicationAccess",
    "ApplicationEvent",
    "AuditEvent",
    "CatalogueRevision",
    "Category",
    "DeliveryJob",
    "PlatformOperator",
    "PolicyLine",
    "PolicyRevision",
    "Service",
    "ServiceVersion",
    "StaffAccount",
    "Tenant",
    "TenantHostname",
    "UiTextOverride",
    "UiTextRevision",
    "metadata",
]
