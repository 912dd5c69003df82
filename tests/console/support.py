"""Console tests: a signed-in browser-like client (cookies, CSRF token from the page)."""

from __future__ import annotations

import re

import httpx

from tests.support.staff import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    match = _CSRF.search(html)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)


async def console_sign_in(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    """Sign in through the console's form, as a browser does; returns the page landed on."""
    form = await client.get("/console/sign-in")
    assert form.status_code == 200, form.text
    response = await client.post(
        "/console/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 303, response.text
    return await client.get(response.headers["location"])


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str] | None = None
) -> httpx.Response:
    """Load ``page``, then post ``data`` to ``action`` with that page's CSRF token."""
    loaded = await client.get(page)
    assert loaded.status_code == 200, loaded.text
    return await client.post(action, data={**(data or {}), "csrf_token": csrf_of(loaded.text)})
