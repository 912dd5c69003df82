"""The console's catalogue: editing drafts per language, review, publishing, import and export."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import yaml

from asan.db import Database, TenantScope
from tests.catalogue.support import catalogue_for
from tests.console.support import console_sign_in, csrf_of, post_form
from tests.console.support_catalogue import (
    DRAFT,
    EDITOR,
    PUBLISHED,
    PUBLISHER,
    catalogue_tenant,
    public_name,
    signed_in_as,
)
from tests.support.factories import create_tenant
from tests.support.staff import add_staff

Clients = Callable[[str], httpx.AsyncClient]
EDITOR_URL = f"/console/catalogue/services/{PUBLISHED}"


def _field_value(html: str, field_id: str) -> str:
    match = re.search(rf'<input id="{field_id}"[^>]* value="([^"]*)"', html)
    assert match is not None, f"no input {field_id}"
    return match.group(1)


async def test_editor_saves_names_in_two_languages_into_the_draft_only(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    editor = await signed_in_as(client_for, tenant, EDITOR)
    for locale, name in (("en", "Birth certificate (new)"), ("fr", "Acte de naissance (nouveau)")):
        page = f"{EDITOR_URL}?locale={locale}"
        saved = await post_form(editor, page, page, {"name": name})
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == page
        landed = await editor.get(page)
        assert "Draft saved" in landed.text
        assert _field_value(landed.text, "field-name") == name
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        draft = await catalogue_for(tenant, session).draft_view(PUBLISHED)
    assert draft["content"]["name"] == {
        "en": "Birth certificate (new)",
        "fr": "Acte de naissance (nouveau)",
    }
    assert draft["content"]["description"]["fr"] == "Une copie d'un acte de naissance."
    assert await public_name(client_for, tenant, PUBLISHED, "en") == "Birth certificate"
    assert await public_name(client_for, tenant, PUBLISHED, "fr") == "Acte de naissance"


async def test_publisher_publishes_from_the_review_page_and_the_public_sees_it(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    editor = await signed_in_as(client_for, tenant, EDITOR)
    page = f"{EDITOR_URL}?locale=fr"
    await post_form(editor, page, page, {"name": "Extrait d'acte de naissance"})
    publisher = await signed_in_as(client_for, tenant, PUBLISHER)
    review = f"{EDITOR_URL}/review"
    loaded = await publisher.get(review)
    assert ">Publish</button>" in loaded.text
    published = await post_form(publisher, review, f"{EDITOR_URL}/publish")
    assert published.status_code == 303, published.text
    assert published.headers["location"] == EDITOR_URL
    assert "Published." in (await publisher.get(EDITOR_URL)).text
    assert await public_name(client_for, tenant, PUBLISHED, "fr") == "Extrait d'acte de naissance"
    history = await publisher.get(f"{EDITOR_URL}/versions")
    assert "name.fr" in history.text
    assert f"{EDITOR}@{tenant.code}" in history.text
    assert f"{PUBLISHER}@{tenant.code}" in history.text


async def test_an_editor_cannot_publish_even_by_posting_directly(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    editor = await signed_in_as(client_for, tenant, EDITOR)
    page = f"{EDITOR_URL}?locale=en"
    await post_form(editor, page, page, {"name": "Renamed by the editor"})
    review = await editor.get(f"{EDITOR_URL}/review")
    assert ">Publish</button>" not in review.text  # not offered...
    refused = await editor.post(f"{EDITOR_URL}/publish", data={"csrf_token": csrf_of(review.text)})
    assert refused.status_code == 403  # ...and refused by the server
    assert await public_name(client_for, tenant, PUBLISHED, "en") == "Birth certificate"
    publisher = await signed_in_as(client_for, tenant, PUBLISHER)
    editing = await publisher.get(page)
    assert ">Save draft</button>" not in editing.text
    not_theirs = await publisher.post(page, data={"name": "x", "csrf_token": csrf_of(editing.text)})
    assert not_theirs.status_code == 403


async def test_language_tabs_show_and_mark_the_missing_texts(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    editor = await signed_in_as(client_for, tenant, EDITOR)
    page = await editor.get(f"/console/catalogue/services/{DRAFT}?locale=fr")
    assert page.status_code == 200
    tab = re.search(r'<a href="/console/catalogue/services/marriage\?locale=fr"[^>]*>', page.text)
    assert tab is not None
    assert 'aria-current="true"' in tab.group(0)
    assert "4 missing" in page.text  # fr: name, description, eligibility, the document
    assert 'id="field-name-missing"' in page.text
    assert 'lang="fr"' in page.text
    assert "Marriage registration" in page.text  # the English text shown as reference
    fragment = await editor.get(
        f"/console/catalogue/services/{DRAFT}?locale=en", headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="editor"' in fragment.text
    overview = await editor.get("/console/catalogue")
    assert f'href="/console/catalogue/services/{DRAFT}?locale=fr">4<' in overview.text
    assert "New service" in overview.text


async def test_a_validation_problem_is_shown_next_to_its_field_and_nothing_is_saved(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    editor = await signed_in_as(client_for, tenant, EDITOR)
    page = f"{EDITOR_URL}?locale=en"
    refused = await post_form(editor, page, page, {"name": "   "})
    assert refused.status_code == 422
    assert 'id="field-name-error"' in refused.text
    assert 'href="#field-name"' in refused.text
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        service = await catalogue_for(tenant, session).working_copy(PUBLISHED)
    assert service["draft_version"] is None


async def test_review_shows_every_change_side_by_side_and_what_blocks_publishing(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    editor = await signed_in_as(client_for, tenant, EDITOR)
    page = f"{EDITOR_URL}?locale=fr"
    await post_form(editor, page, page, {"name": "Copie intégrale"})
    settings = await post_form(
        editor,
        page,
        f"{EDITOR_URL}/settings?locale=fr",
        {
            "agency": "civil-registry",
            "category": "birth",
            "fee_amount": "4.00",
            "processing_value": "3",
            "processing_unit": "working_days",
            "channels": "online",
        },
    )
    assert settings.status_code == 303, settings.text
    review = await editor.get(f"{EDITOR_URL}/review?locale=fr")
    assert review.status_code == 200
    diff = review.text[review.text.index('class="diff"') :]
    assert re.search(r"<code>name\.fr</code></th>\s*<td[^>]*>Acte de naissance</td>", diff)
    assert re.search(r'<td class="after"[^>]*>Copie intégrale</td>', diff)
    assert "<code>fee.amount</code>" in diff
    assert "Copie intégrale" in review.text[review.text.index('id="preview"') :]
    missing = await editor.get(f"/console/catalogue/services/{DRAFT}/review")
    assert "<code>name.fr</code>" in missing.text


async def test_publishing_a_draft_with_missing_texts_is_refused_on_the_review_page(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    publisher = await signed_in_as(client_for, tenant, PUBLISHER)
    review = f"/console/catalogue/services/{DRAFT}/review"
    refused = await post_form(publisher, review, f"/console/catalogue/services/{DRAFT}/publish")
    assert refused.status_code == 422
    assert "cannot be published" in refused.text
    assert "<code>description.fr</code>" in refused.text
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        service = await catalogue_for(tenant, session).working_copy(DRAFT)
    assert (service["status"], service["published_version"]) == ("draft", None)


async def test_a_broken_catalogue_file_is_reported_and_nothing_is_imported(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    publisher = await signed_in_as(client_for, tenant, PUBLISHER)
    exported = await publisher.get("/console/catalogue/export")
    data = yaml.safe_load(exported.text)
    data["services"][0]["name"]["en"] = "Changed by a broken file"
    data["services"][0]["fee"]["currency"] = "USD"
    data["services"][1]["agency"] = "nobody"
    form = await publisher.get("/console/catalogue/import")
    refused = await publisher.post(
        "/console/catalogue/import",
        data={"csrf_token": csrf_of(form.text), "mode": "import"},
        files={"file": ("catalogue.yaml", yaml.safe_dump(data), "application/yaml")},
    )
    assert refused.status_code == 422
    assert "Nothing was imported" in refused.text
    assert f"<code>services[{PUBLISHED}].fee.currency</code>" in refused.text
    assert "fees are in the tenant&#39;s currency" in refused.text
    assert "<code>services[marriage].agency</code>" in refused.text
    assert await public_name(client_for, tenant, PUBLISHED, "en") == "Birth certificate"


async def test_a_valid_catalogue_file_is_checked_then_imported(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    publisher = await signed_in_as(client_for, tenant, PUBLISHER)
    data = yaml.safe_load((await publisher.get("/console/catalogue/export")).text)
    data["services"][0]["name"]["en"] = "Birth certificate (imported)"
    data["categories"].append(
        {"code": "family", "order": 20, "name": {"en": "Family", "fr": "Famille"}}
    )
    text = yaml.safe_dump(data, allow_unicode=True)

    async def upload(mode: str) -> httpx.Response:
        form = await publisher.get("/console/catalogue/import")
        return await publisher.post(
            "/console/catalogue/import",
            data={"csrf_token": csrf_of(form.text), "mode": mode},
            files={"file": ("catalogue.yaml", text.encode(), "application/yaml")},
        )

    checked = await upload("check")
    assert checked.status_code == 200, checked.text
    assert "is valid. Nothing was written yet." in checked.text
    assert await public_name(client_for, tenant, PUBLISHED, "en") == "Birth certificate"
    imported = await upload("import")
    assert imported.status_code == 200, imported.text
    assert "catalogue.yaml was imported." in imported.text
    rows = re.findall(r'<td class="num">(\d+)</td>', imported.text)
    assert rows == ["0", "0", "1", "1", "0", "1", "0", "1", "1"]
    assert await public_name(client_for, tenant, PUBLISHED, "en") == "Birth certificate (imported)"


async def test_export_downloads_the_bundle_catalogue_file(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    editor = await signed_in_as(client_for, tenant, EDITOR)
    exported = await editor.get("/console/catalogue/export")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="catalogue.yaml"'
    data = yaml.safe_load(exported.text)
    assert [s["code"] for s in data["services"]] == [PUBLISHED, DRAFT]
    assert data["agencies"][0]["code"] == "civil-registry"
    refused = await editor.get("/console/catalogue/import")
    assert refused.status_code == 403  # importing publishes: not an editor's


async def test_agencies_are_edited_by_a_publisher_in_every_language(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    publisher = await signed_in_as(client_for, tenant, PUBLISHER)
    page = "/console/catalogue/agencies/civil-registry"
    form = {
        "kind": "public",
        "name-en": "Civil Registry Office",
        "name-fr": "Bureau de l'état civil",
        "description-en": "Registers births.",
        "description-fr": "",
        "contact": "website: https://example.org",
    }
    refused = await post_form(publisher, page, page, form)
    assert refused.status_code == 422
    assert 'id="field-description-fr-error"' in refused.text
    saved = await post_form(publisher, page, page, {**form, "description-fr": "Naissances."})
    assert saved.status_code == 303, saved.text
    answer = await client_for(f"{tenant.code}.localhost").get("/api/v1/agencies?lang=fr")
    assert answer.json()["items"][0]["name"] == "Bureau de l'état civil"
    editor = await signed_in_as(client_for, tenant, EDITOR)
    assert (await post_form(editor, page, page, form)).status_code == 403


async def test_staff_of_another_tenant_cannot_reach_this_tenants_drafts(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    other = await create_tenant(database, locales=("en", "fr"))
    await add_staff(database, other, f"admin@{other.code}", "catalogue_editor")
    outsider = client_for(f"{other.code}.localhost")
    await console_sign_in(outsider, f"admin@{other.code}")
    # Through their own host: this tenant's draft does not exist there.
    assert (await outsider.get(f"/console/catalogue/services/{DRAFT}")).status_code == 404
    assert DRAFT not in (await outsider.get("/console/catalogue")).text
    # Through this tenant's host, with their session cookie: not signed in here.
    session = outsider.cookies.get("asan_session")
    assert session
    borrowed = client_for(f"{tenant.code}.localhost")
    borrowed.cookies.set("asan_session", session)
    answer = await borrowed.get(f"/console/catalogue/services/{DRAFT}")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/sign-in")
    posted = await borrowed.post(
        f"/console/catalogue/services/{DRAFT}?locale=en", data={"name": "Hijacked"}
    )
    assert posted.status_code in (401, 403)
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as db:
        draft = await catalogue_for(tenant, db).draft_view(DRAFT)
    assert draft["content"]["name"] == {"en": "Marriage registration"}


async def test_an_editor_creates_a_new_service_as_a_draft(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    editor = await signed_in_as(client_for, tenant, EDITOR)
    new = "/console/catalogue/services/new"
    form = {
        "code": "adoption",
        "agency": "civil-registry",
        "category": "birth",
        "name": "",
        "description": "Registers an adoption.",
        "eligibility": "Adoptive parents.",
        "fee_amount": "0.00",
        "processing_value": "5",
        "processing_unit": "days",
        "channels": "service_centre",
    }
    refused = await post_form(editor, new, new, form)
    assert refused.status_code == 422
    assert 'id="field-name-error"' in refused.text
    assert 'value="adoption"' in refused.text  # what was typed is kept
    created = await post_form(editor, new, new, {**form, "name": "Adoption"})
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/console/catalogue/services/adoption"
    taken = await post_form(editor, new, new, {**form, "name": "Adoption"})
    assert taken.status_code == 409
    assert 'id="field-code-error"' in taken.text
    overview = await editor.get("/console/catalogue")
    assert 'href="/console/catalogue/services/adoption"' in overview.text
    answer = await client_for(f"{tenant.code}.localhost").get("/api/v1/services/adoption")
    assert answer.status_code == 404  # a draft: not public


async def test_a_publisher_creates_a_category_with_its_name_in_every_language(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    publisher = await signed_in_as(client_for, tenant, PUBLISHER)
    new = "/console/catalogue/categories/new"
    created = await post_form(
        publisher,
        new,
        new,
        {"code": "family", "order": "20", "name-en": "Family", "name-fr": "Famille"},
    )
    assert created.status_code == 303, created.text
    page = await publisher.get("/console/catalogue/categories")
    assert 'href="/console/catalogue/categories/family"' in page.text
    answer = await client_for(f"{tenant.code}.localhost").get("/api/v1/categories?lang=fr")
    assert "Famille" in [item["name"] for item in answer.json()["items"]]
    assert (await publisher.get("/console/catalogue/agencies")).status_code == 200
    editor = await signed_in_as(client_for, tenant, EDITOR)
    assert (await editor.get(new)).status_code == 403


async def test_the_settings_form_offers_the_catalogues_choices_and_saves_them_into_the_draft(
    database: Database, client_for: Clients
) -> None:
    tenant = await catalogue_tenant(database)
    editor = await signed_in_as(client_for, tenant, EDITOR)
    page = await editor.get(EDITOR_URL)
    assert re.search(r'<option value="civil-registry" selected>', page.text)
    assert re.search(r'<option value="birth" selected>', page.text)
    assert 'name="channels" value="online"' in page.text
    assert re.search(r'<option value="working_days"[^>]*>working days</option>', page.text)
    saved = await post_form(
        editor,
        EDITOR_URL,
        f"{EDITOR_URL}/settings",
        {
            "agency": "civil-registry",
            "category": "birth",
            "fee_amount": "7.50",
            "processing_value": "3",
            "processing_unit": "working_days",
            "channels": "service_centre",
        },
    )
    assert saved.status_code == 303, saved.text
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        draft = await catalogue_for(tenant, session).draft_view(PUBLISHED)
    assert draft["content"]["processing_time"] == {"value": 3, "unit": "working_days"}
    assert draft["content"]["fee"]["amount"] == "7.50"
