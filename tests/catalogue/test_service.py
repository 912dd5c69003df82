"""The service lifecycle and bundle import/export, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from asan.audit import AuditEvent
from asan.catalogue.bundle import CatalogueError, TenantLanguages, dump_catalogue, read_catalogue
from asan.catalogue.errors import CatalogueConflictError, PublishRefusedError
from asan.catalogue.models import ServiceVersion
from asan.db import Database, TenantScope
from asan.tenancy import Tenant
from tests.catalogue.support import LANGUAGES, catalogue_for, seed, service_entry
from tests.catalogue.test_bundle import as_yaml
from tests.support.databases import REPO_ROOT
from tests.support.factories import create_tenant


def scope(tenant: Tenant) -> TenantScope:
    return TenantScope(tenant.id, tenant.code)


@pytest.fixture
async def tenant(database: Database) -> Tenant:
    created = await create_tenant(database, locales=("en", "fr"))
    await seed(database, created)
    return created


async def test_a_new_service_is_a_draft_until_published(database: Database, tenant: Tenant) -> None:
    async with database.transaction(scope(tenant)) as session:
        service = await catalogue_for(tenant, session).create_service(service_entry(status="draft"))
        assert (service.status, service.draft_version, service.published_version) == (
            "draft",
            1,
            None,
        )
    async with database.transaction(scope(tenant)) as session:
        published = await catalogue_for(tenant, session, actor="publisher").publish(
            "birth-certificate"
        )
        assert (published.status, published.published_version, published.draft_version) == (
            "published",
            1,
            None,
        )
        history = await catalogue_for(tenant, session).versions("birth-certificate")
    assert [(v["number"], v["state"], v["published_by"]) for v in history] == [
        (1, "published", "publisher")
    ]


async def test_editing_a_published_service_makes_a_new_draft_and_publishing_swaps(
    database: Database, tenant: Tenant
) -> None:
    async with database.transaction(scope(tenant)) as session:
        catalogue = catalogue_for(tenant, session)
        await catalogue.create_service(service_entry(status="draft"))
        await catalogue.publish("birth-certificate")
        await catalogue.update_service(
            "birth-certificate", {"name": {"fr": "Extrait d'acte de naissance"}}
        )
        view = await catalogue.draft_view("birth-certificate")
    assert view["version"] == 2
    assert view["published_version"] == 1
    assert view["content"]["name"] == {
        "en": "Birth certificate",
        "fr": "Extrait d'acte de naissance",
    }
    assert view["differences"] == [
        {
            "path": "name.fr",
            "published": "Acte de naissance",
            "draft": "Extrait d'acte de naissance",
        }
    ]
    async with database.transaction(scope(tenant)) as session:
        catalogue = catalogue_for(tenant, session)
        await catalogue.publish("birth-certificate")
        history = await catalogue.versions("birth-certificate")
        audited = (
            await session.scalars(select(AuditEvent.action).order_by(AuditEvent.occurred_at))
        ).all()
    assert [(v["number"], v["state"]) for v in history] == [(1, "superseded"), (2, "published")]
    assert history[1]["changed"] == ["name.fr"]
    assert audited.count("service.published") == 2


async def test_publishing_is_refused_while_a_language_is_missing(
    database: Database, tenant: Tenant
) -> None:
    async with database.transaction(scope(tenant)) as session:
        catalogue = catalogue_for(tenant, session)
        incomplete = service_entry(status="draft", name={"en": "Birth certificate"})
        incomplete["required_documents"] = [{"en": "Identity card"}]
        await catalogue.create_service(incomplete)
        with pytest.raises(PublishRefusedError) as error:
            await catalogue.publish("birth-certificate")
    assert error.value.detail["missing"] == ["name.fr", "required_documents[0].fr"]


async def test_a_draft_must_refer_to_known_agency_and_category(
    database: Database, tenant: Tenant
) -> None:
    async with database.transaction(scope(tenant)) as session:
        with pytest.raises(CatalogueError, match="unknown agency 'nowhere'"):
            await catalogue_for(tenant, session).create_service(
                service_entry(status="draft", agency="nowhere")
            )


async def test_codes_are_unique_per_tenant_but_free_across_tenants(
    database: Database, tenant: Tenant
) -> None:
    other = await create_tenant(database, locales=("en", "fr"))
    await seed(database, other)
    for owner in (tenant, other):
        async with database.transaction(scope(owner)) as session:
            await catalogue_for(owner, session).create_service(service_entry(status="draft"))
    async with database.transaction(scope(tenant)) as session:
        with pytest.raises(CatalogueConflictError):
            await catalogue_for(tenant, session).create_service(service_entry(status="draft"))


async def test_retiring_keeps_the_versions(database: Database, tenant: Tenant) -> None:
    async with database.transaction(scope(tenant)) as session:
        catalogue = catalogue_for(tenant, session)
        await catalogue.create_service(service_entry(status="draft"))
        await catalogue.publish("birth-certificate")
        retired = await catalogue.retire("birth-certificate")
        versions = await session.scalar(select(func.count()).select_from(ServiceVersion))
    assert retired.status == "retired"
    assert versions == 1


@pytest.mark.parametrize(
    ("code", "locales", "currency"),
    [("az", ("az", "en", "ru"), "AZN"), ("ma", ("ar", "fr"), "MAD")],
)
async def test_export_import_export_round_trips_the_demo_catalogue(
    database: Database, code: str, locales: tuple[str, ...], currency: str
) -> None:
    languages = TenantLanguages(locales, currency)
    path = REPO_ROOT / "tenants" / code / "catalogue.yaml"
    source = read_catalogue(path.read_text(encoding="utf-8"), source=str(path), languages=languages)

    first = await create_tenant(database, locales=locales, currency=currency)
    second = await create_tenant(database, locales=locales, currency=currency)

    async def import_and_export(tenant: Tenant, text: str) -> str:
        async with database.transaction(scope(tenant)) as session:
            catalogue = catalogue_for(tenant, session)
            await catalogue.import_catalogue(read_catalogue(text, source="x", languages=languages))
        async with database.transaction(scope(tenant)) as session:
            return dump_catalogue(await catalogue_for(tenant, session).export_catalogue())

    exported = await import_and_export(first, dump_catalogue(source))
    again = await import_and_export(second, exported)
    assert again == exported
    assert len(read_catalogue(exported, source="x", languages=languages).services) == len(
        source.services
    )


async def test_importing_the_same_file_twice_changes_nothing(
    database: Database, tenant: Tenant
) -> None:
    checked = read_catalogue(as_yaml(), source="f", languages=LANGUAGES)
    async with database.transaction(scope(tenant)) as session:
        first = await catalogue_for(tenant, session).import_catalogue(checked)
    async with database.transaction(scope(tenant)) as session:
        second = await catalogue_for(tenant, session).import_catalogue(checked)
        events = await session.scalar(select(func.count()).select_from(AuditEvent))
        versions = await session.scalar(select(func.count()).select_from(ServiceVersion))
    assert first.created["services"] == 1
    assert not second.changed
    assert second.unchanged == {"agencies": 1, "categories": 1, "services": 1}
    assert versions == 1
    assert events == 3  # agency + category from seed, service import; nothing the second time
