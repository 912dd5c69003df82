"""The console in a real browser: the catalogue's draft-review-publish flow, right-to-left
Arabic, the keyboard alone, and no script errors or CSP violations on the main pages."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import Page, StorageState, expect

from tests.browser.support import NewContext, Problems, Server, Shoot, sign_in, sign_out

pytestmark = pytest.mark.browser

AZ = "az.localhost"
MA = "ma.localhost"
CENTRAL = "localhost"
SERVICE = "id-card-first-issue"


async def save_draft(page: Page) -> None:
    """Press "Save draft" and wait for the page the console lands on after a successful save."""
    await page.get_by_role("button", name="Save draft").click()
    notice = page.locator("p.notice[role=status]")
    await expect(notice).to_be_visible()


async def test_a_service_renamed_in_two_languages_is_published_to_the_public_api(
    page: Page, server: Server, shoot: Shoot, problems: Problems
) -> None:
    tag = uuid.uuid4().hex[:8]
    english, azerbaijani = f"Identity card, first issue {tag}", f"Şəxsiyyət vəsiqəsi {tag}"
    editor = f"/console/catalogue/services/{SERVICE}"

    await sign_in(page, server, AZ, "catalogue_editor@az")
    await page.goto(server.url(AZ, "/console/catalogue"))
    await shoot(page, "catalogue")

    await page.goto(server.url(AZ, f"{editor}?locale=en"))
    await expect(page.get_by_label("Name", exact=True)).to_have_id("field-name")
    await page.locator("#field-name").fill(english)
    await shoot(page, "editor-en")
    await save_draft(page)

    # The language tabs swap the form in place (htmx) and keep the address in step.
    await page.locator(f"a[href='{editor}?locale=az']").click()
    await page.wait_for_url(f"**{editor}?locale=az")
    await expect(page.locator(f"a[href='{editor}?locale=az']")).to_have_attribute(
        "aria-current", "true"
    )
    await expect(page.locator("#field-name")).to_have_attribute("lang", "az")
    await page.locator("#field-name").fill(azerbaijani)
    await shoot(page, "editor-az")
    await save_draft(page)

    await sign_out(page)
    await sign_in(page, server, AZ, "catalogue_publisher@az")
    await page.goto(server.url(AZ, f"{editor}/review"))
    await expect(page.locator("main")).to_contain_text(english)
    await shoot(page, "review")
    await page.get_by_role("button", name="Publish", exact=True).click()
    await expect(page.locator("p.notice[role=status]")).to_be_visible()

    async with server.api(AZ) as api:
        for lang, name in (("en", english), ("az", azerbaijani)):
            answer = await api.get(f"/api/v1/services/{SERVICE}", params={"lang": lang})
            assert answer.status_code == 200, answer.text
            assert answer.json()["name"] == name
    await page.goto(server.url(AZ, f"/api/v1/services/{SERVICE}?lang=en"))
    await shoot(page, "public-api")
    assert problems.messages == []


async def test_arabic_turns_the_console_right_to_left_and_is_remembered_at_the_next_sign_in(
    new_context: NewContext, server: Server, shoot: Shoot, problems: Problems
) -> None:
    page = await (await new_context(locale="fr-FR")).new_page()
    await sign_in(page, server, MA, "tenant_admin@ma")
    html = page.locator("html")
    await expect(html).to_have_attribute("lang", "fr")
    await expect(html).to_have_attribute("dir", "ltr")

    await page.locator("#language-choice").select_option("ar")
    async with page.expect_navigation():
        await page.locator("form.language button[type=submit]").click()  # labelled in French here
    assert await page.evaluate("document.documentElement.dir") == "rtl"
    assert await page.evaluate("document.documentElement.lang") == "ar"
    await shoot(page, "home-ar")
    for area in ("catalogue", "staff", "roles"):
        await page.goto(server.url(MA, f"/console/{area}"))
        assert await page.evaluate("document.documentElement.dir") == "rtl"
        await shoot(page, f"{area}-ar")

    await sign_out(page)
    assert await page.evaluate("document.documentElement.dir") == "rtl"
    await sign_in(page, server, MA, "tenant_admin@ma")
    assert await page.evaluate("document.documentElement.lang") == "ar"

    # A browser that never chose: the account itself remembers the language.
    elsewhere = await (await new_context(locale="fr-FR")).new_page()
    await elsewhere.goto(server.url(MA, "/console/sign-in"))
    assert await elsewhere.evaluate("document.documentElement.lang") == "fr"
    await sign_in(elsewhere, server, MA, "tenant_admin@ma")
    assert await elsewhere.evaluate("document.documentElement.lang") == "ar"
    assert await elsewhere.evaluate("document.documentElement.dir") == "rtl"
    assert problems.messages == []


async def focused(page: Page) -> str:
    """What has the keyboard focus: ``tag#id.class`` of the active element."""
    return str(
        await page.evaluate(
            "(() => { const e = document.activeElement;"
            " return `${e.tagName.toLowerCase()}#${e.id}.${e.className}`; })()"
        )
    )


async def test_signing_in_needs_only_the_keyboard_and_the_skip_link_comes_first(
    page: Page, server: Server, shoot: Shoot, problems: Problems
) -> None:
    await page.goto(server.url(AZ, "/console/sign-in"))
    await shoot(page, "sign-in")
    await page.keyboard.press("Tab")
    assert await focused(page) == "a#.skip-link"
    await expect(page.locator("a.skip-link")).to_be_visible()
    await page.keyboard.press("Enter")
    assert await focused(page) == "main#main."

    for _ in range(20):
        if (await focused(page)).startswith("input#field-username"):
            break
        await page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the username field")
    await page.keyboard.type("tenant_admin@az")
    await page.keyboard.press("Tab")
    assert (await focused(page)).startswith("input#field-password")
    await page.keyboard.type("demo")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert page.url == server.url(AZ, "/console/")
    await expect(page.locator("h1")).to_contain_text("Welcome")
    assert problems.messages == []


PAGES = [
    # (name, host, who signs in, path)
    ("sign-in", AZ, None, "/console/sign-in"),
    ("home", AZ, "tenant_admin@az", "/console/"),
    ("catalogue", AZ, "tenant_admin@az", "/console/catalogue"),
    ("staff", AZ, "tenant_admin@az", "/console/staff"),
    ("tokens", AZ, "tenant_admin@az", "/console/tokens"),
    ("roles", AZ, "tenant_admin@az", "/console/roles"),
    ("translations", AZ, "tenant_admin@az", "/console/translations"),
    ("plugins", AZ, "tenant_admin@az", "/console/plugins"),
    ("ma-home", MA, "tenant_admin@ma", "/console/"),
    ("central", CENTRAL, "platform_operator@platform", "/console/"),
    ("central-platform", CENTRAL, "platform_operator@platform", "/console/platform"),
]


@pytest.fixture(scope="session")
def signed_in_states() -> dict[str, StorageState]:
    """Cookies of one signed-in session per account, shared by the page checks."""
    return {}


@pytest.mark.parametrize(("name", "host", "username", "path"), PAGES, ids=[p[0] for p in PAGES])
async def test_a_main_page_loads_with_htmx_and_no_error_or_csp_violation(
    name: str,
    host: str,
    username: str | None,
    path: str,
    new_context: NewContext,
    server: Server,
    shoot: Shoot,
    problems: Problems,
    signed_in_states: dict[str, StorageState],
) -> None:
    state: StorageState | None = None
    if username is not None:
        if username not in signed_in_states:
            own = await new_context()
            await sign_in(await own.new_page(), server, host, username)
            signed_in_states[username] = await own.storage_state()
        state = signed_in_states[username]
    page = await (await new_context(storage_state=state)).new_page()
    response = await page.goto(server.url(host, path))
    assert response is not None
    assert response.status == 200, await page.locator("main").inner_text()
    assert "/sign-in" not in page.url or username is None
    assert await page.evaluate("typeof window.htmx") == "object", "htmx did not load"
    await shoot(page, name)
    assert problems.messages == []
