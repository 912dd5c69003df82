"""Browser tests: a real server in a subprocess, driven by Debian's headless Chromium.

One server per test session (so one per xdist worker: its own free port, its
own SQLite database under tmp, migrated and loaded with the demo tenants and
their demo accounts by ``asan demo --no-serve``), one browser per session and
a new browser context (fresh cookies) per test.

Chromium is Debian's ``/usr/bin/chromium`` (``make browser`` installs it;
``make test`` and so CI do it first); Playwright never downloads a browser.
Without it the tests fail under CI (``CI`` set) and are skipped, with the
reason, in a plain local run.

Screenshots are kept in ``var/test-artifacts/screenshots/`` (see ``shoot``), the
server's log in ``var/test-artifacts/server-<xdist worker>.log``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    async_playwright,
    expect,
)

from tests.browser.support import PASSWORD, NewContext, Problems, Server, Shoot
from tests.support.databases import REPO_ROOT

CHROMIUM = Path(os.environ.get("ASAN_TEST_CHROMIUM", "/usr/bin/chromium"))
"""Debian's Chromium (``make browser``); ``ASAN_TEST_CHROMIUM`` names another build."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO_ROOT / "var" / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
ASAN = str(Path(sys.executable).parent / "asan")
TIMEOUT_MS = 20_000
SERVER_START_SECONDS = 60.0

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
expect.set_options(timeout=TIMEOUT_MS)  # assertions wait as long as actions (a busy CI machine)


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.iterdir()):
        terminalreporter.write_line(f"browser test screenshots: {SCREENSHOTS}")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; its absence fails the run under CI and skips it elsewhere."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)"
    if _under_ci():
        pytest.fail(f"{reason}; under CI the browser tests must run", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _wait_healthy(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"asan serve exited ({process.returncode}):\n{_tail(log)}")
            try:
                if client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(
        f"asan serve did not answer /healthz in {SERVER_START_SECONDS}s:\n{_tail(log)}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``asan serve`` on a free port, over a fresh SQLite database holding the demo tenants."""
    directory = tmp_path_factory.mktemp("browser-server")
    env = {
        **os.environ,
        "ASAN_ENV": "dev",
        "ASAN_VAR_DIR": str(directory / "var"),
        "ASAN_DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'asan.db'}",
        "ASAN_TENANTS_DIR": str(REPO_ROOT / "tenants"),
        "ASAN_BASE_DOMAIN": "localhost",
        "ASAN_DEMO_PASSWORD": PASSWORD,
        "ASAN_DELIVERY_IN_PROCESS": "false",
        "ASAN_LOG_LEVEL": "WARNING",
    }
    for name in ("ASAN_MIGRATION_DATABASE_URL", "ASAN_REDIS_URL", "ASAN_SECRET_KEY"):
        env.pop(name, None)
    prepared = subprocess.run(
        [ASAN, "demo", "--no-serve"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if prepared.returncode != 0:
        raise RuntimeError(f"asan demo --no-serve failed:\n{prepared.stderr[-3000:]}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / f"server-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"
    for _ in range(3):  # a free port can be taken between finding it and binding it
        port = _free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [ASAN, "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                cwd=REPO_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_healthy(process, port, log)
        except RuntimeError:
            _stop(process)
            if "address already in use" in _tail(log).lower():
                continue
            raise
        break
    else:
        raise RuntimeError(f"asan serve found no free port:\n{_tail(log)}")
    try:
        yield Server(port, log)
    finally:
        _stop(process)


@pytest.fixture(scope="session")
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
async def browser(playwright: Playwright, chromium: Path) -> AsyncIterator[Browser]:
    launched = await playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
    yield launched
    await launched.close()


CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  console.error(`CSP violation: ${event.violatedDirective} blocked ${blocked}`);
});
"""
"""Chromium logs violations as console errors already; this names the directive too."""


@pytest.fixture
def problems() -> Problems:
    return Problems()


def _is_favicon(message: ConsoleMessage) -> bool:
    """Chromium asks every site for /favicon.ico on its own; the console has none (yet)."""
    return urlsplit(message.location.get("url", "")).path == "/favicon.ico"


@pytest.fixture
async def new_context(browser: Browser, problems: Problems) -> AsyncIterator[NewContext]:
    """``await new_context(locale="fr-FR")``: a fresh context (no cookies) whose pages report
    console errors, CSP violations and uncaught exceptions into ``problems``; closed after."""
    made: list[BrowserContext] = []

    async def make(locale: str = "en-GB", **options: Any) -> BrowserContext:
        fresh = await browser.new_context(
            locale=locale, viewport={"width": 1280, "height": 900}, **options
        )
        made.append(fresh)
        fresh.set_default_timeout(TIMEOUT_MS)
        await fresh.add_init_script(CSP_REPORTER)

        def watch(page: Page) -> None:
            def on_console(message: ConsoleMessage) -> None:
                if message.type == "error" and not _is_favicon(message):
                    where = message.location.get("url") or page.url
                    problems.messages.append(f"{where}: {message.text}")

            page.on("console", on_console)
            page.on("pageerror", lambda error: problems.messages.append(f"{page.url}: {error}"))

        fresh.on("page", watch)
        return fresh

    yield make
    for fresh in made:
        await fresh.close()


@pytest.fixture
async def context(new_context: NewContext) -> BrowserContext:
    """A fresh context in English (``Accept-Language: en-GB``)."""
    return await new_context()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Shoot:
    """``await shoot(page, "editor")``: a full-page PNG, ``<test>-<name>.png``, kept."""
    test = request.node.originalname

    async def take(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{test}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path

    return take
