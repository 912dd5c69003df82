"""A tenant with a small catalogue and its catalogue staff, for the console's catalogue tests."""

from __future__ import annotations

import copy
from collections.abc import Callable

import httpx

from asan.db import Database, TenantScope
from asan.tenancy import Tenant
from tests.catalogue.support import catalogue_for, seed, service_entry
from tests.console.support import console_sign_in
from tests.support.factories import create_tenant
from tests.support.staff import add_staff

PUBLISHED = "birth-certificate"
"""Published, complete in English and French."""
DRAFT = "marriage"
"""Never published; written in English only."""

EDITOR = "editor"
PUBLISHER = "publisher"


async def catalogue_tenant(database: Database, code: str | None = None) -> Tenant:
    """Locales en (default) and fr; staff ``editor@<code>`` and ``publisher@<code>``."""
    tenant = await create_tenant(database, code, locales=("en", "fr"))
    await seed(database, tenant)
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        catalogue = catalogue_for(tenant, session, actor="seed")
        await catalogue.create_service(service_entry())
        await catalogue.publish(PUBLISHED)
        draft = service_entry(
            code=DRAFT,
            status="draft",
            name={"en": "Marriage registration"},
            description={"en": "Registers a marriage."},
            eligibility={"en": "Two adults."},
            required_documents=[{"en": "Identity cards of both"}],
            channels=["service_centre"],
            form=[],
        )
        await catalogue.create_service(copy.deepcopy(draft))
    await add_staff(database, tenant, f"{EDITOR}@{tenant.code}", "catalogue_editor")
    await add_staff(database, tenant, f"{PUBLISHER}@{tenant.code}", "catalogue_publisher")
    return tenant


async def signed_in_as(
    client_for: Callable[[str], httpx.AsyncClient], tenant: Tenant, who: str
) -> httpx.AsyncClient:
    client = client_for(f"{tenant.code}.localhost")
    await console_sign_in(client, f"{who}@{tenant.code}")
    return client


async def public_name(
    client_for: Callable[[str], httpx.AsyncClient], tenant: Tenant, code: str, lang: str
) -> str:
    """The name the public API answers for a service in ``lang``."""
    answer = await client_for(f"{tenant.code}.localhost").get(
        f"/api/v1/services/{code}?lang={lang}"
    )
    assert answer.status_code == 200, answer.text
    name: str = answer.json()["name"]
    return name
