"""The catalogue over HTTP: languages, filters, pages, caching, and the draft workflow."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
import yaml

from asan.api import create_app
from asan.catalogue.bundle import TenantLanguages, read_catalogue
from asan.config import Settings
from asan.db import Database, TenantScope
from asan.tenancy import Tenant
from tests.catalogue.support import AGENCY, CATEGORY, catalogue_for, service_entry
from tests.support.factories import create_tenant
from tests.support.staff import add_staff, sign_in

LANGUAGES = TenantLanguages(("ar", "fr"), "MAD")


def bilingual(ar: str, fr: str) -> dict[str, str]:
    return {"ar": ar, "fr": fr}


def entry(code: str, ar: str, fr: str, **changes: object) -> dict[str, object]:
    base = service_entry(
        code=code,
        name=bilingual(ar, fr),
        description=bilingual(f"وصف {ar}", f"Description de {fr.lower()}"),
        eligibility=bilingual("كل مواطن", "Tout citoyen"),
        required_documents=[bilingual("البطاقة الوطنية", "Carte nationale")],
        fee={"amount": "75.00", "currency": "MAD"},
        form=[
            {
                "name": "full_name",
                "type": "text",
                "label": bilingual("الاسم الكامل", "Nom complet"),
                "required": True,
            }
        ],
    )
    base.update(changes)
    return base


CATALOGUE = {
    "agencies": [
        {
            **AGENCY,
            "name": bilingual("الحالة المدنية", "État civil"),
            "description": bilingual("تسجيل الولادات", "Enregistre les naissances"),
        },
        {
            **AGENCY,
            "code": "dgsn",
            "name": bilingual("الأمن الوطني", "Sûreté nationale"),
            "description": bilingual("البطاقة الوطنية", "Carte nationale"),
        },
    ],
    "categories": [
        {**CATEGORY, "name": bilingual("الولادة", "Naissance")},
        {"code": "identity", "order": 5, "name": bilingual("الهوية", "Identité")},
    ],
    "services": [
        entry("birth-certificate", "عقد الازدياد", "Acte de naissance"),
        entry(
            "identity-card",
            "البطاقة الوطنية للتعريف",
            "Carte nationale d'identité",
            category="identity",
            agency="dgsn",
            channels=["service_centre"],
            form=[],
        ),
        entry(
            "passport",
            "جواز السفر",
            "Passeport",
            category="identity",
            agency="dgsn",
            fee={"amount": "500", "currency": "MAD"},
        ),
    ],
}

Clients = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def tenant(database: Database) -> Tenant:
    created = await create_tenant(database, "zm", locales=("ar", "fr"), currency="MAD")
    checked = read_catalogue(
        yaml.safe_dump(CATALOGUE, allow_unicode=True), source="t", languages=LANGUAGES
    )
    async with database.transaction(TenantScope(created.id, created.code)) as session:
        await catalogue_for(created, session).import_catalogue(checked)
    await add_staff(database, created, "editor@zm", "catalogue_editor", "catalogue_publisher")
    return created


@pytest.fixture
async def clients(settings: Settings, database: Database) -> AsyncIterator[Clients]:
    """``await clients(**changes)``: a client on ``zm.localhost`` of a new app (a new
    process), signed in as a catalogue editor and publisher."""
    opened: list[httpx.AsyncClient] = []

    async def make(**changes: object) -> httpx.AsyncClient:
        app = create_app(dataclasses.replace(settings, **changes), database=database)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://zm.localhost"
        )
        opened.append(client)
        await sign_in(client, "editor@zm")
        return client

    yield make
    for client in opened:
        await client.aclose()


async def test_names_follow_the_negotiated_language(tenant: Tenant, clients: Clients) -> None:
    client = await clients()
    for header, locale, name in (
        ("fr", "fr", "Carte nationale d'identité"),
        ("ar", "ar", "البطاقة الوطنية للتعريف"),
        ("de", "ar", "البطاقة الوطنية للتعريف"),
        ("de-DE, fr;q=0.5", "fr", "Carte nationale d'identité"),
    ):
        response = await client.get("/api/v1/services", headers={"Accept-Language": header})
        assert response.status_code == 200, response.text
        assert response.headers["content-language"] == locale
        assert "accept-language" in response.headers["vary"].lower()
        body = response.json()
        assert body["items"][0]["name"] == name  # identity comes first (order 5)
        assert set(body) >= {"items", "total", "page", "page_size"}


async def test_items_carry_fee_display_and_processing_time(
    tenant: Tenant, clients: Clients
) -> None:
    response = await (await clients()).get("/api/v1/services?lang=fr&q=passeport")
    (item,) = response.json()["items"]
    assert set(item) >= {
        "code",
        "name",
        "category",
        "agency",
        "fee",
        "fee_display",
        "processing_time",
        "channels",
    }
    assert item["fee"] == {"amount": "500.00", "currency": "MAD"}
    assert "500,00" in item["fee_display"]
    assert "MAD" in item["fee_display"]
    assert item["processing_time_display"]


async def test_filters_search_and_pages(tenant: Tenant, clients: Clients) -> None:
    client = await clients()

    async def codes(query: str) -> list[str]:
        response = await client.get(f"/api/v1/services?{query}")
        assert response.status_code == 200, response.text
        return [item["code"] for item in response.json()["items"]]

    assert await codes("category=identity") == ["identity-card", "passport"]
    assert await codes("agency=civil-registry") == ["birth-certificate"]
    assert await codes("channel=online") == ["passport", "birth-certificate"]
    assert await codes("lang=fr&q=NAISSANCE") == ["birth-certificate"]
    assert await codes("lang=ar&q=جواز") == ["passport"]
    page = (await client.get("/api/v1/services?page=2&page_size=2")).json()
    assert (page["total"], page["page"], page["page_size"], len(page["items"])) == (3, 2, 2, 1)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page_size=101", "page_size"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("channel=fax", "channel"),
        ("category=nope", "category"),
    ],
)
async def test_malformed_filters_are_a_400_naming_the_parameter(
    tenant: Tenant, clients: Clients, query: str, parameter: str
) -> None:
    response = await (await clients()).get(f"/api/v1/services?{query}")
    assert response.status_code == 400
    assert response.json()["detail"] == {"parameter": parameter}


async def test_one_service_categories_and_agencies(tenant: Tenant, clients: Clients) -> None:
    client = await clients()
    detail = (await client.get("/api/v1/services/birth-certificate?lang=fr")).json()
    assert detail["agency"] == {"code": "civil-registry", "kind": "public", "name": "État civil"}
    assert detail["form"][0]["label"] == "Nom complet"
    assert detail["required_documents"] == ["Carte nationale"]
    categories = (await client.get("/api/v1/categories?lang=fr")).json()["items"]
    assert [(c["code"], c["services"]) for c in categories] == [("identity", 2), ("birth", 1)]
    agencies = (await client.get("/api/v1/agencies?lang=ar")).json()["items"]
    assert [a["name"] for a in agencies] == ["الحالة المدنية", "الأمن الوطني"]
    missing = await client.get("/api/v1/services/nothing")
    assert missing.status_code == 404
    assert missing.json()["code"] == "catalogue_entry_not_found"


async def test_etag_answers_304_until_the_catalogue_changes(
    tenant: Tenant, clients: Clients
) -> None:
    client = await clients()
    first = await client.get("/api/v1/services?lang=fr")
    etag = first.headers["etag"]
    again = await client.get("/api/v1/services?lang=fr", headers={"If-None-Match": etag})
    assert again.status_code == 304
    other_language = await client.get("/api/v1/services?lang=ar", headers={"If-None-Match": etag})
    assert other_language.status_code == 200
    await client.patch(
        "/api/v1/services/passport", json={"fee": {"amount": "550.00", "currency": "MAD"}}
    )
    await client.post("/api/v1/services/passport/publish")
    changed = await client.get("/api/v1/services?lang=fr", headers={"If-None-Match": etag})
    assert changed.status_code == 200


async def test_draft_review_publish_through_the_api(tenant: Tenant, clients: Clients) -> None:
    client = await clients()
    created = await client.post(
        "/api/v1/services",
        json=entry(
            "residence-certificate", "شهادة السكنى", "Certificat de résidence", status="draft"
        ),
    )
    assert created.status_code == 201, created.text
    public = (await client.get("/api/v1/services?lang=fr")).json()
    assert "residence-certificate" not in [i["code"] for i in public["items"]]

    edited = await client.patch(
        "/api/v1/services/passport", json={"name": {"fr": "Passeport biométrique"}}
    )
    assert edited.status_code == 200, edited.text
    draft = (await client.get("/api/v1/services/passport/draft")).json()
    assert draft["differences"] == [
        {"path": "name.fr", "published": "Passeport", "draft": "Passeport biométrique"}
    ]
    still = (await client.get("/api/v1/services/passport?lang=fr")).json()
    assert still["name"] == "Passeport"

    published = await client.post("/api/v1/services/passport/publish")
    assert published.json() == {"code": "passport", "status": "published", "version": 2}
    assert (await client.get("/api/v1/services/passport?lang=fr")).json()[
        "name"
    ] == "Passeport biométrique"
    versions = (await client.get("/api/v1/services/passport/versions")).json()["versions"]
    assert [(v["number"], v["state"]) for v in versions] == [(1, "superseded"), (2, "published")]


async def test_an_exported_entry_can_be_posted_to_another_tenant(
    database: Database, tenant: Tenant, clients: Clients
) -> None:
    other = await create_tenant(database, "zo", locales=("ar", "fr"), currency="MAD")
    await add_staff(database, other, "admin@zo", "catalogue_editor", "catalogue_publisher")
    source = await clients()
    exported = await source.get("/api/v1/services/passport/draft")
    assert exported.status_code == 404  # no draft: the published entry is what travels
    entry_body = entry("passport", "جواز السفر", "Passeport", category="identity", agency="dgsn")
    target = httpx.AsyncClient(transport=source._transport, base_url="http://zo.localhost")
    await sign_in(target, "admin@zo")
    for kind, body in (
        ("agencies", CATALOGUE["agencies"][1]),
        ("categories", CATALOGUE["categories"][1]),
    ):
        assert (await target.post(f"/api/v1/{kind}", json=body)).status_code == 201
    posted = await target.post("/api/v1/services", json=entry_body)  # status: published
    assert posted.status_code == 201, posted.text
    assert posted.json()["status"] == "draft"
    assert (await target.post("/api/v1/services/passport/publish")).status_code == 200
    renamed = await target.patch("/api/v1/services/passport", json={"code": "other"})
    assert renamed.status_code == 422
    await target.aclose()


async def test_publishing_with_a_missing_language_is_refused_with_the_list(
    tenant: Tenant, clients: Clients
) -> None:
    client = await clients()
    body = entry("marriage", "الزواج", "Mariage", status="draft")
    body["name"] = {"ar": "الزواج"}
    await client.post("/api/v1/services", json=body)
    refused = await client.post("/api/v1/services/marriage/publish")
    assert refused.status_code == 422
    assert refused.json()["detail"]["missing"] == ["name.fr"]


async def test_a_publish_reaches_another_process(tenant: Tenant, clients: Clients) -> None:
    editor = await clients()
    reader = await clients(catalogue_refresh_seconds=0)  # checks the revision on every request
    lazy_reader = await clients(catalogue_refresh_seconds=3600)  # would only see it after an hour
    for client in (reader, lazy_reader):
        assert (await client.get("/api/v1/services/passport?lang=fr")).json()["name"] == "Passeport"
    await editor.patch("/api/v1/services/passport", json={"name": {"fr": "Passeport biométrique"}})
    await editor.post("/api/v1/services/passport/publish")
    assert (await reader.get("/api/v1/services/passport?lang=fr")).json()[
        "name"
    ] == "Passeport biométrique"
    assert (await editor.get("/api/v1/services/passport?lang=fr")).json()[
        "name"
    ] == "Passeport biométrique"
    assert (await lazy_reader.get("/api/v1/services/passport?lang=fr")).json()[
        "name"
    ] == "Passeport"


async def test_management_needs_the_permission_of_each_route(
    database: Database, tenant: Tenant, clients: Clients
) -> None:
    await add_staff(database, tenant, "operator@zm", "operator")
    await add_staff(database, tenant, "drafter@zm", "catalogue_editor")
    client = await clients()
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://zm.localhost")
    draft = entry("marriage", "الزواج", "Mariage", status="draft")
    assert (await anonymous.post("/api/v1/services", json=draft)).status_code == 401
    assert (await anonymous.get("/api/v1/services")).status_code == 200

    await sign_in(anonymous, "operator@zm")
    refused = await anonymous.post("/api/v1/services", json=draft)
    assert refused.status_code == 403
    assert refused.json()["detail"] == {"permission": "catalogue.draft"}

    await sign_in(anonymous, "drafter@zm")
    assert (await anonymous.post("/api/v1/services", json=draft)).status_code == 201
    assert (await anonymous.post("/api/v1/services/marriage/publish")).status_code == 403
    assert (await client.post("/api/v1/services/marriage/publish")).status_code == 200
    await anonymous.aclose()


async def test_another_tenants_catalogue_is_invisible(
    database: Database, tenant: Tenant, clients: Clients
) -> None:
    await create_tenant(database, "zn", locales=("ar", "fr"), currency="MAD")
    app_client = await clients()
    other = httpx.AsyncClient(transport=app_client._transport, base_url="http://zn.localhost")
    assert (await other.get("/api/v1/services")).json()["total"] == 0
    assert (await other.get("/api/v1/services/passport")).status_code == 404
    # zm's token is not valid on zn's host, whatever it is worth on zm.
    other.headers["Authorization"] = app_client.headers["Authorization"]
    assert (await other.post("/api/v1/services/passport/publish")).status_code == 401
    await other.aclose()


async def test_agencies_and_categories_are_patched_per_language(
    tenant: Tenant, clients: Clients
) -> None:
    client = await clients()
    patched = await client.patch("/api/v1/agencies/dgsn", json={"name": {"fr": "DGSN"}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == {"ar": "الأمن الوطني", "fr": "DGSN"}
    category = await client.patch("/api/v1/categories/identity", json={"order": 1})
    assert category.json() == {
        "code": "identity",
        "order": 1,
        "name": {"ar": "الهوية", "fr": "Identité"},
    }
    bad = await client.patch("/api/v1/agencies/dgsn", json={"kind": "secret"})
    assert bad.status_code == 422
    assert bad.json()["detail"]["errors"][0]["path"] == "kind"
    listed = (await client.get("/api/v1/agencies?lang=fr")).json()["items"]
    assert "DGSN" in [a["name"] for a in listed]


async def test_validation_problems_come_in_the_request_language(
    tenant: Tenant, clients: Clients
) -> None:
    client = await clients()
    body = entry("marriage", "الزواج", "Mariage", status="draft")
    body["fee"] = {"amount": "5.00", "currency": "USD"}
    body["channels"] = ["service_centre", "fax"]
    refused = await client.post("/api/v1/services?lang=fr", json=body)
    assert refused.status_code == 422
    reasons = {e["path"]: e["reason"] for e in refused.json()["detail"]["errors"]}
    assert reasons["fee.currency"] == "'USD' : les frais sont dans la devise du portail, MAD"
    assert reasons["channels"].startswith("canal inconnu 'fax'")
    assert refused.json()["message"].endswith("(et 1 autre problème)")
    arabic = await client.post("/api/v1/services?lang=ar", json=body)
    assert {e["path"]: e["reason"] for e in arabic.json()["detail"]["errors"]}[
        "channels"
    ].startswith("قناة غير معروفة 'fax'")
