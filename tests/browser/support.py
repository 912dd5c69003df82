"""Helpers for the browser tests: the server under test, signing in and out as a person does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.async_api import BrowserContext, Page

PASSWORD = "demo"
"""The demo accounts' password (``ASAN_DEMO_PASSWORD`` of the server under test)."""


@dataclass(frozen=True, slots=True)
class Server:
    """A running ``asan serve``; ``url(host, path)`` addresses one of its hosts."""

    port: int
    log: Path

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def api(self, host: str) -> httpx.AsyncClient:
        """An HTTP client for a tenant's (or the base domain's) API, by Host header."""
        return httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.port}", headers={"Host": host}, timeout=10
        )


@dataclass
class Problems:
    """Console errors (CSP violations included) and uncaught exceptions seen by a context."""

    messages: list[str] = field(default_factory=list)


Shoot = Callable[[Page, str], Awaitable[Path]]
"""``await shoot(page, name)`` keeps a full-page screenshot (fixture ``shoot``)."""


NewContext = Callable[..., Awaitable[BrowserContext]]
"""``await new_context(locale="fr-FR")``: a fresh, watched browser context (fixture)."""


async def sign_in(page: Page, server: Server, host: str, username: str) -> None:
    """Sign in through the form; fields found by name, so the page may be in any language."""
    await page.goto(server.url(host, "/console/sign-in"))
    await page.locator("input[name=username]").fill(username)
    await page.locator("input[name=password]").fill(PASSWORD)
    async with page.expect_navigation():
        await page.locator("form[action='/console/sign-in'] button[type=submit]").click()
    assert "/console/sign-in" not in page.url, await page.locator("main").inner_text()


async def sign_out(page: Page) -> None:
    async with page.expect_navigation():
        await page.locator("form[action='/console/sign-out'] button[type=submit]").click()
    assert page.url.endswith("/console/sign-in"), page.url
