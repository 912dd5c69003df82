"""Building catalogue entries and services for tests."""

from __future__ import annotations

import copy
from typing import Any

from asan.catalogue.bundle import TenantLanguages
from asan.catalogue.service import CatalogueService
from asan.db import Database, TenantScope
from asan.tenancy import Tenant

LANGUAGES = TenantLanguages(("en", "fr"), "EUR")

AGENCY = {
    "code": "civil-registry",
    "kind": "public",
    "name": {"en": "Civil Registry", "fr": "État civil"},
    "description": {"en": "Registers births.", "fr": "Enregistre les naissances."},
    "contact": {"website": "https://example.org"},
}
CATEGORY = {"code": "birth", "order": 10, "name": {"en": "Birth", "fr": "Naissance"}}
SERVICE = {
    "code": "birth-certificate",
    "status": "published",
    "category": "birth",
    "agency": "civil-registry",
    "name": {"en": "Birth certificate", "fr": "Acte de naissance"},
    "description": {"en": "A copy of a birth record.", "fr": "Une copie d'un acte de naissance."},
    "eligibility": {"en": "The person or a parent.", "fr": "La personne ou un parent."},
    "required_documents": [{"en": "Identity card", "fr": "Carte d'identité"}],
    "fee": {"amount": "2.50", "currency": "EUR"},
    "processing_time": {"value": 3, "unit": "working_days"},
    "channels": ["service_centre", "online"],
    "form": [
        {
            "name": "full_name",
            "type": "text",
            "label": {"en": "Full name", "fr": "Nom complet"},
            "required": True,
            "rules": {"max_length": 200},
        },
        {
            "name": "delivery",
            "type": "select",
            "label": {"en": "Delivery", "fr": "Remise"},
            "required": True,
            "options": [
                {"value": "pickup", "label": {"en": "Pick up", "fr": "Retrait"}},
                {"value": "post", "label": {"en": "By post", "fr": "Par la poste"}},
            ],
        },
    ],
}


def service_entry(**changes: Any) -> dict[str, Any]:
    entry = copy.deepcopy(SERVICE)
    entry.update(changes)
    return entry


def catalogue_for(tenant: Tenant, session: Any, actor: str = "test") -> CatalogueService:
    return CatalogueService(
        session,
        tenant_id=tenant.id,
        languages=TenantLanguages(tuple(tenant.locales), tenant.currency),
        actor=actor,
    )


async def seed(database: Database, tenant: Tenant) -> None:
    """One agency and one category, so services can refer to them."""
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        service = catalogue_for(tenant, session)
        await service.save_agency(copy.deepcopy(AGENCY), create=True)
        await service.save_category(copy.deepcopy(CATEGORY), create=True)
