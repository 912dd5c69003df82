"""The console's plugins page: what the tenant's bundle configures, secrets never shown."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import update

from asan.db import Database, PlatformScope
from asan.plugins import PluginHost, discover
from asan.tenancy import Tenant
from tests.console.support import console_sign_in
from tests.support.factories import create_tenant
from tests.support.staff import add_staff

MA_BUNDLE = Path(__file__).parents[2] / "tenants" / "ma" / "tenant.toml"
SECRET_VALUE = "hmac-value-that-must-never-be-shown"


def _ma_plugins() -> dict[str, Any]:
    """The Moroccan demo bundle's plugins: rest_webhook with ``secret:ma-agencies/hmac``."""
    plugins: dict[str, Any] = tomllib.loads(MA_BUNDLE.read_text(encoding="utf-8"))["plugins"]
    return plugins


async def _tenant_with(database: Database, plugins: dict[str, Any]) -> Tenant:
    tenant = await create_tenant(database, locales=("en", "fr"))
    async with database.transaction(PlatformScope(reason="test setup")) as session:
        await session.execute(
            update(Tenant).where(Tenant.id == tenant.id).values(plugin_settings=plugins)
        )
    return tenant


async def _signed_in(
    database: Database,
    client_for: Callable[[str], httpx.AsyncClient],
    tenant: Tenant,
    role: str = "tenant_admin",
) -> httpx.AsyncClient:
    username = f"{role}@{tenant.code}"
    await add_staff(database, tenant, username, role)
    client = client_for(f"{tenant.code}.localhost")
    await console_sign_in(client, username)
    return client


def _secrets(app: Litestar, directory: Path) -> None:
    app.state.plugin_host = PluginHost(discover(), secrets_dir=directory, environ={})


async def test_a_secret_is_shown_as_set_and_found_never_its_value_nor_reference(
    database: Database,
    client_for: Callable[[str], httpx.AsyncClient],
    app: Litestar,
    tmp_path: Path,
) -> None:
    tenant = await _tenant_with(database, _ma_plugins())
    (tmp_path / tenant.code / "ma-agencies").mkdir(parents=True)
    (tmp_path / tenant.code / "ma-agencies" / "hmac").write_text(SECRET_VALUE)
    _secrets(app, tmp_path)
    client = await _signed_in(database, client_for, tenant, "auditor")
    page = await client.get("/console/plugins?lang=en")
    assert page.status_code == 200
    text = page.text
    assert "rest_webhook" in text
    assert "log_notifier" in text
    assert "http://127.0.0.1:8701/asan" in text  # a plain setting is shown
    assert "Every other agency (default)" in text
    assert "installed and compatible" in text
    shared_secret = text.split('data-setting="shared_secret"')[1].split("</tr>")[0]
    assert "secret set" in shared_secret
    assert "found" in shared_secret
    assert "not found" not in shared_secret
    assert SECRET_VALUE not in text
    assert "ma-agencies" not in text
    assert "secret:" not in text
    assert str(tmp_path) not in text
    assert "central team" in text  # read-only: the bundle is theirs


async def test_a_secret_that_cannot_be_found_is_flagged_without_saying_where(
    database: Database,
    client_for: Callable[[str], httpx.AsyncClient],
    app: Litestar,
    tmp_path: Path,
) -> None:
    tenant = await _tenant_with(database, _ma_plugins())
    _secrets(app, tmp_path)  # nothing written for this tenant
    client = await _signed_in(database, client_for, tenant)
    page = await client.get("/console/plugins?lang=en")
    shared_secret = page.text.split('data-setting="shared_secret"')[1].split("</tr>")[0]
    assert "secret set" in shared_secret
    assert "not found where it is kept" in shared_secret
    assert "ma-agencies" not in page.text
    assert str(tmp_path) not in page.text


async def test_a_missing_secret_setting_is_not_set_and_an_unknown_plugin_is_not_installed(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    plugins = {
        "connectors": {
            "*": {"plugin": "rest_webhook", "base_url": "https://agency.example/asan"},
            "tax": {"plugin": "no_such_plugin"},
        },
    }
    tenant = await _tenant_with(database, plugins)
    client = await _signed_in(database, client_for, tenant)
    page = await client.get("/console/plugins?lang=en")
    assert page.status_code == 200
    shared_secret = page.text.split('data-setting="shared_secret"')[1].split("</tr>")[0]
    assert "secret not set" in shared_secret
    assert "not installed on this platform" in page.text
    assert "Agency tax" in page.text
    assert "No notifier is configured" in page.text


async def test_roles_without_settings_read_cannot_see_plugins_and_tenants_do_not_mix(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> None:
    tenant = await _tenant_with(database, _ma_plugins())
    other = await _tenant_with(database, {"connectors": {"*": {"plugin": "sandbox_agency"}}})
    editor = await _signed_in(database, client_for, tenant, "catalogue_editor")
    assert (await editor.get("/console/plugins")).status_code == 403
    admin = await _signed_in(database, client_for, other)
    page = await admin.get("/console/plugins?lang=en")
    assert "sandbox_agency" in page.text
    assert "rest_webhook" not in page.text
