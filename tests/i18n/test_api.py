"""The request's language as a client sees it: negotiation, headers, translated errors."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from asan.api import create_app
from asan.api.context import _TENANT_KEY
from asan.config import Settings
from asan.db import Database
from asan.i18n import LocaleMiddleware, LocalePlugin
from asan.i18n._middleware import TENANT_STATE_KEY
from tests.support.factories import create_tenant

Clients = Callable[[str], httpx.AsyncClient]


def assert_language(response: httpx.Response, locale: str) -> None:
    assert response.headers["content-language"] == locale
    vary = {token.strip().lower() for token in response.headers["vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary


async def locale_of(
    client: httpx.AsyncClient, path: str = "/api/v1/_locale/echo", **kwargs: object
) -> str:
    response = await client.get(path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return str(response.json()["locale"])


async def test_the_handler_sees_the_negotiated_locale_in_precedence_order(
    database: Database, client_for: Clients
) -> None:
    await create_tenant(database, "la", locales=("az", "en", "ru"))
    client = client_for("la.localhost")
    assert await locale_of(client) == "az"
    assert await locale_of(client, headers={"Accept-Language": "ru;q=0.5, en;q=0.9"}) == "en"
    assert (
        await locale_of(client, headers={"Accept-Language": "ru", "Cookie": "asan_locale=en"})
        == "en"
    )
    response = await client.get(
        "/api/v1/_locale/echo",
        params={"lang": "ru"},
        headers={"Accept-Language": "en", "Cookie": "asan_locale=en"},
    )
    assert response.json() == {"locale": "ru", "not_found": "Не найдено"}
    assert_language(response, "ru")


async def test_a_language_the_tenant_does_not_offer_gets_its_default(
    database: Database, client_for: Clients
) -> None:
    await create_tenant(database, "lb", locales=("ar", "fr"))
    client = client_for("lb.localhost")
    for wish in ({"params": {"lang": "ru"}}, {"headers": {"Accept-Language": "et, ru;q=0.5"}}):
        response = await client.get("/api/v1/tenant", **wish)  # type: ignore[arg-type]
        assert response.status_code == 200, response.text
        assert_language(response, "ar")
    # The platform has a Russian catalogue, but this tenant does not offer Russian.
    assert await locale_of(client, params={"lang": "ru"}) == "ar"


async def test_tenant_responses_say_their_language_and_what_it_varies_on(
    database: Database, client_for: Clients
) -> None:
    await create_tenant(database, "lc", locales=("et", "en"))
    client = client_for("lc.localhost")
    response = await client.get("/api/v1/tenant", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert response.status_code == 200
    assert_language(response, "en")
    assert_language(await client.get("/api/v1/tenant"), "et")


async def test_the_platform_host_offers_every_catalogued_locale(client_for: Clients) -> None:
    client = client_for("localhost")
    path = "/api/v1/platform/_locale/echo"
    assert await locale_of(client, path) == "en"
    assert await locale_of(client, path, headers={"Accept-Language": "ar-MA"}) == "ar"
    assert await locale_of(client, path, headers={"Accept-Language": "de"}) == "en"
    assert_language(
        await client.get("/api/v1/platform/tenants", headers={"Accept-Language": "et"}), "et"
    )


@pytest.mark.parametrize(
    ("accept", "locale", "message"),
    [
        ("fr-FR, fr;q=0.9", "fr", "aucun portail n'est servi à l'adresse 'nowhere.localhost'"),
        ("ar", "ar", "لا توجد بوابة تعمل على العنوان 'nowhere.localhost'"),
        ("de", "en", "no tenant is served at host 'nowhere.localhost'"),
    ],
)
async def test_an_unknown_host_is_refused_in_the_callers_language(
    client_for: Clients, accept: str, locale: str, message: str
) -> None:
    response = await client_for("nowhere.localhost").get(
        "/api/v1/tenant", headers={"Accept-Language": accept}
    )
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"status", "code", "message", "detail", "request_id"}
    assert (body["code"], body["message"]) == ("tenant_not_found", message)
    assert body["detail"] == {"host": "nowhere.localhost"}
    assert_language(response, locale)


async def test_an_error_in_a_handler_is_in_the_tenants_negotiated_language(
    database: Database, client_for: Clients
) -> None:
    await create_tenant(database, "ld", locales=("az", "ru"))
    response = await client_for("ld.localhost").get(
        "/api/v1/_locale/missing", headers={"Accept-Language": "fr, ru;q=0.5"}
    )
    assert response.status_code == 404
    assert response.json()["message"] == "портал с кодом 'zz' не найден"
    assert_language(response, "ru")


async def test_litestars_own_errors_are_translated(database: Database, client_for: Clients) -> None:
    await create_tenant(database, "le", locales=("ru", "ar"))
    tenant = client_for("le.localhost")

    invalid = await tenant.get("/api/v1/_locale/count", params={"limit": "many"})
    assert invalid.status_code == 400
    assert invalid.json()["code"] == "validation_failed"
    assert invalid.json()["message"] == "Некорректный запрос: найдена 1 ошибка."
    assert invalid.json()["detail"]["errors"]

    in_arabic = await tenant.get("/api/v1/_locale/count", params={"limit": "many", "lang": "ar"})
    assert in_arabic.json()["message"] == "الطلب غير صالح: عُثر على مشكلة واحدة."

    no_route = await client_for("localhost").get(
        "/api/v1/nothing-here", headers={"Accept-Language": "et"}
    )
    assert (no_route.status_code, no_route.json()["message"]) == (404, "Ei leitud")
    assert_language(no_route, "et")

    wrong_method = await tenant.delete("/api/v1/tenant", headers={"Accept-Language": "az"})
    assert (wrong_method.status_code, wrong_method.json()["message"]) == (
        405,
        "Metoda icazə verilmir",
    )
    assert wrong_method.headers["allow"]


async def test_a_failed_commit_is_reported_in_the_requests_language(
    database: Database, client_for: Clients
) -> None:
    await create_tenant(database, "lf", locales=("fr", "ar"))
    response = await client_for("lf.localhost").post("/api/v1/_probe/conflict")
    assert response.status_code == 500
    assert response.json()["message"] == (
        "La modification n'a pas pu être enregistrée et rien n'a été écrit\u00a0; réessayez."
    )
    assert_language(response, "fr")


def test_the_middleware_reads_the_tenant_where_the_request_context_puts_it() -> None:
    assert TENANT_STATE_KEY == _TENANT_KEY


def test_installing_the_plugin_twice_adds_one_middleware(
    settings: Settings, database: Database
) -> None:
    app = create_app(settings, database=database, plugins=[LocalePlugin(), LocalePlugin()])
    assert app.middleware.count(LocaleMiddleware) == 1


async def test_the_app_negotiates_locales_without_being_asked(
    settings: Settings, database: Database
) -> None:
    """``create_app`` lists ``LocalePlugin`` itself (not only the tests do)."""
    await create_tenant(database, "lg", locales=("et", "en"))
    app = create_app(settings, database=database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://lg.localhost"
    ) as client:
        response = await client.get("/api/v1/tenant", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert_language(response, "en")
