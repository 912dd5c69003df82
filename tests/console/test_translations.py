"""The console's translations area: coverage per language, and tenants' own wording."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select

from asan.audit import AuditEvent
from asan.db import Database, TenantScope
from asan.i18n import i18n_directory, ui_coverage, use_locale
from asan.i18n._catalogues import translations
from asan.tenancy import Tenant
from asan.translations import UiTextOverride
from tests.console.support import console_sign_in, post_form
from tests.support.factories import create_tenant
from tests.support.staff import add_staff
from tests.translations.support import current_i18n, extracted_i18n  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("current_i18n")

SKIP_LINK = "Skip to main content"
"""A console text (layout.html) shown on every page, the sign-in form included."""

API_MESSAGE = "sign in first"
"""What the API answers (401) on a protected route without credentials."""


async def _admin(
    database: Database,
    client_for: Callable[[str], httpx.AsyncClient],
    *,
    locales: tuple[str, ...] = ("en", "fr"),
    role: str = "tenant_admin",
) -> tuple[Tenant, httpx.AsyncClient]:
    tenant = await create_tenant(database, locales=locales)
    username = f"{role}@{tenant.code}"
    await add_staff(database, tenant, username, role)
    client = client_for(f"{tenant.code}.localhost")
    await console_sign_in(client, username)
    return tenant, client


async def _reword(
    client: httpx.AsyncClient, locale: str, message_id: str, text: str
) -> httpx.Response:
    return await post_form(
        client,
        f"/console/translations/{locale}",
        f"/console/translations/{locale}",
        {"message_id": message_id, "text": text},
    )


async def _overrides(database: Database, tenant: Tenant) -> list[tuple[str, str, str]]:
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        rows = await session.scalars(select(UiTextOverride))
        return sorted((row.locale, row.message_id, row.text) for row in rows)


async def test_own_wording_shows_on_that_tenants_console_and_api_in_that_language_only(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant, client = await _admin(database, client_for)
    other = await create_tenant(database, locales=("en", "fr"))
    saved = await _reword(client, "fr", SKIP_LINK, "Aller au contenu, s'il vous plaît")
    assert saved.status_code == 303, saved.text
    saved = await _reword(client, "fr", API_MESSAGE, "identifiez-vous d'abord, merci")
    assert saved.status_code == 303, saved.text

    mine = client_for(f"{tenant.code}.localhost")
    page = await mine.get("/console/sign-in?lang=fr")
    assert "Aller au contenu, s&#39;il vous plaît" in page.text
    refused = await mine.get("/api/v1/policy?lang=fr")
    assert refused.status_code == 401
    assert refused.json()["message"] == "identifiez-vous d'abord, merci"

    # The same tenant in another language: the platform's text.
    english = await mine.get("/console/sign-in?lang=en")
    assert SKIP_LINK in english.text
    assert (await mine.get("/api/v1/policy?lang=en")).json()["message"] == API_MESSAGE

    # Another tenant in the same language: the platform's translation, never the wording.
    theirs = client_for(f"{other.code}.localhost")
    with use_locale("fr"):
        platform_fr = translations("fr").gettext(SKIP_LINK)
    their_page = await theirs.get("/console/sign-in?lang=fr")
    assert "s&#39;il vous plaît" not in their_page.text
    assert platform_fr.replace("'", "&#39;") in their_page.text
    their_error = (await theirs.get("/api/v1/policy?lang=fr")).json()["message"]
    assert their_error != "identifiez-vous d'abord, merci"


async def test_wording_is_shown_as_text_not_markup(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant, client = await _admin(database, client_for)
    saved = await _reword(client, "en", SKIP_LINK, '<a href="https://evil.example">Skip</a>')
    assert saved.status_code == 303, saved.text
    page = await client_for(f"{tenant.code}.localhost").get("/console/sign-in?lang=en")
    assert 'href="https://evil.example"' not in page.text
    assert "&lt;a href=" in page.text


async def test_placeholder_mismatch_is_refused_and_nothing_is_written(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant, client = await _admin(database, client_for)
    # A Python message ({name}) and a template message (%(name)s).
    code_message = "{user} may not {permission} on this tenant"
    template_message = "Welcome, %(name)s"
    answers = [
        await _reword(client, "fr", code_message, "{user} ne peut pas faire cela"),
        await _reword(client, "fr", code_message, "{user} {permission} {tenant}"),
        await _reword(client, "fr", template_message, "Bonjour"),
        await _reword(client, "fr", template_message, "Bonjour %(name)s, à 100%"),
        await _reword(client, "fr", "no such message in the platform", "rien"),
    ]
    assert [answer.status_code for answer in answers] == [422] * 5
    assert "{permission}" in answers[0].text
    assert 'role="alert"' in answers[0].text
    assert "{tenant}" in answers[1].text
    assert "%(name)s" in answers[2].text
    assert "no such message in the platform" in answers[4].text
    assert await _overrides(database, tenant) == []
    accepted = await _reword(client, "fr", template_message, "Bonjour %(name)s, à 100%%")
    assert accepted.status_code == 303
    assert await _overrides(database, tenant) == [
        ("fr", template_message, "Bonjour %(name)s, à 100%%")
    ]
    home = await client.get("/console/?lang=fr")
    assert "Bonjour admin, à 100%" in home.text or "à 100%" in home.text


async def test_a_language_the_tenant_does_not_have_is_refused(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant, client = await _admin(database, client_for)
    page = await client.get("/console/translations/ar")
    assert page.status_code == 404
    loaded = await client.get("/console/translations/fr")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', loaded.text)
    assert token is not None
    refused = await client.post(
        "/console/translations/ar",
        data={"message_id": SKIP_LINK, "text": "تخطى", "csrf_token": token.group(1)},
    )
    assert refused.status_code == 422
    assert await _overrides(database, tenant) == []


async def test_empty_text_removes_the_wording_and_every_change_is_audited(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant, client = await _admin(database, client_for)
    await _reword(client, "fr", SKIP_LINK, "Passer")
    await _reword(client, "fr", SKIP_LINK, "Passer au contenu")
    removed = await _reword(client, "fr", SKIP_LINK, "  ")
    assert removed.status_code == 303
    assert await _overrides(database, tenant) == []
    page = await client.get("/console/sign-in?lang=fr")
    assert "Passer au contenu" not in page.text
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        actions = [
            event.action
            for event in await session.scalars(
                select(AuditEvent).where(AuditEvent.action.like("ui_text.%"))
            )
        ]
    assert sorted(actions) == ["ui_text.created", "ui_text.removed", "ui_text.updated"]


async def test_auditor_reads_the_editor_but_cannot_save(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant, client = await _admin(database, client_for, role="auditor")
    editor = await client.get("/console/translations/fr")
    assert editor.status_code == 200
    assert 'name="text"' not in editor.text  # no inputs to save with
    refused = await post_form(
        client,
        "/console/translations/fr",
        "/console/translations/fr",
        {"message_id": SKIP_LINK, "text": "Passer"},
    )
    assert refused.status_code == 403
    assert await _overrides(database, tenant) == []


async def test_one_tenants_admin_cannot_change_another_tenants_wording(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant, client = await _admin(database, client_for)
    other, other_client = await _admin(database, client_for)
    await _reword(other_client, "fr", SKIP_LINK, "Le texte de l'autre")
    # A's session on B's host is not a session there: sent to sign in / refused.
    loaded = await client.get("/console/translations/fr")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', loaded.text)
    assert token is not None
    intruder = httpx.AsyncClient(
        transport=client._transport,  # same app
        base_url=f"http://{other.code}.localhost",
        cookies=client.cookies,
    )
    async with intruder:
        answer = await intruder.post(
            "/console/translations/fr",
            data={"message_id": SKIP_LINK, "text": "", "csrf_token": token.group(1)},
        )
        assert answer.status_code in (401, 403)
        seen = await intruder.get("/console/translations/fr")
        assert seen.status_code != 200 or "Le texte de l&#39;autre" not in seen.text
    # A's own editor never lists B's wording.
    mine = await client.get("/console/translations/fr?q=Skip")
    assert "Le texte de l&#39;autre" not in mine.text
    assert await _overrides(database, other) == [("fr", SKIP_LINK, "Le texte de l'autre")]
    assert await _overrides(database, tenant) == []


async def test_overview_shows_the_coverage_numbers_of_each_language(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    _, client = await _admin(database, client_for, locales=("en", "fr", "ar"))
    await _reword(client, "ar", SKIP_LINK, "تخطَّ إلى المحتوى")
    page = await client.get("/console/translations?lang=en")
    assert page.status_code == 200
    for locale in ("en", "fr", "ar"):
        coverage = ui_coverage(i18n_directory(), locale)
        cell = re.search(rf'data-coverage="ui-{locale}">([^<]*)<strong>([^<]*)<', page.text)
        assert cell is not None, locale
        assert f"{coverage.translated} of {coverage.total}" in cell.group(1)
        assert cell.group(2) == f"{round(coverage.share * 100)}%"
    assert re.search(r'data-overrides="ar">1<', page.text)
    assert re.search(r'data-overrides="fr">0<', page.text)


async def test_editor_filters_with_htmx_and_without(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    _, client = await _admin(database, client_for)
    full = await client.get("/console/translations/fr?q=skip+main")
    assert full.status_code == 200
    assert "<html" in full.text
    assert SKIP_LINK in full.text
    assert "Sign out" not in full.text.split('id="ui-messages"')[1].split("</table>")[0]
    fragment = await client.get(
        "/console/translations/fr?q=skip+main", headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert SKIP_LINK in fragment.text
    everything = await client.get("/console/translations/fr")
    assert 'aria-label="Pages"' in everything.text  # ~150 messages: more than one page
    second = await client.get("/console/translations/fr?page=2")
    assert 'aria-current="page">2<' in second.text
