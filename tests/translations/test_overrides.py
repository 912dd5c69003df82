"""Tenants' own wording at run time: the rules, the cache, and the context it applies in."""

from __future__ import annotations

import asyncio
from types import MappingProxyType

import pytest
from jinja2 import DictLoader

from asan.db import Database, TenantScope
from asan.i18n import (
    NO_OVERRIDES,
    gettext,
    i18n_directory,
    jinja_environment,
    overridden,
    placeholder_mismatch,
    ui_messages,
    use_locale,
    use_overrides,
)
from asan.tenancy import TenantRecord
from asan.translations import Change, OverrideCache, OverrideRefusedError, UiTextOverrideService
from tests.support.factories import create_tenant
from tests.translations.support import current_i18n, extracted_i18n  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("current_i18n")

MESSAGE = "sign in first"


def _record(tenant: object) -> TenantRecord:
    return TenantRecord.of(tenant)  # type: ignore[arg-type]


def test_gettext_prefers_the_wording_of_the_current_locale_and_restores_after() -> None:
    wording = MappingProxyType({"fr": MappingProxyType({MESSAGE: "connectez-vous"})})
    with use_overrides(wording):
        with use_locale("fr"):
            assert gettext(MESSAGE) == "connectez-vous"
        with use_locale("en"):
            assert gettext(MESSAGE) == MESSAGE  # another locale: not reworded
    with use_locale("fr"):
        assert overridden(MESSAGE) is None
        assert gettext(MESSAGE) != "connectez-vous"


async def test_concurrent_tasks_never_see_each_others_wording() -> None:
    seen: dict[str, list[str]] = {"a": [], "b": []}

    async def request(name: str) -> None:
        wording = MappingProxyType({"en": MappingProxyType({MESSAGE: f"wording of {name}"})})
        with use_overrides(wording), use_locale("en"):
            for _ in range(20):
                seen[name].append(gettext(MESSAGE))
                await asyncio.sleep(0)

    await asyncio.gather(request("a"), request("b"))
    assert set(seen["a"]) == {"wording of a"}
    assert set(seen["b"]) == {"wording of b"}
    assert overridden(MESSAGE) is None


def test_templates_show_the_wording_escaped_with_placeholders_filled() -> None:
    environment = jinja_environment(
        DictLoader({"t.html": '{{ _("Welcome, %(name)s", name=who) }}'})
    )
    wording = MappingProxyType(
        {"en": MappingProxyType({"Welcome, %(name)s": "<b>Hi</b> %(name)s"})}
    )
    with use_overrides(wording), use_locale("en"):
        html = environment.get_template("t.html").render(who="<Ann>")
    assert html == "&lt;b&gt;Hi&lt;/b&gt; &lt;Ann&gt;"


@pytest.mark.parametrize(
    ("message_id", "text", "problem"),
    [
        ("{user} may not {permission} on this tenant", "{user} may not", "missing"),
        ("{user} may not {permission} on this tenant", "{user} {permission} {x}", "unknown"),
        ("Welcome, %(name)s", "Hello", "missing"),
        ("Welcome, %(name)s", "Hello %(name)s, 100%", "malformed"),
        ("Welcome, %(name)s", "Hello %(name)s, 100%%", None),
        ("{user} may not {permission} on this tenant", "{permission}: not {user}", None),
    ],
)
def test_placeholders_must_match_the_message_ids(
    message_id: str, text: str, problem: str | None
) -> None:
    message = next(m for m in ui_messages(i18n_directory()) if m.id == message_id)
    mismatch = placeholder_mismatch(message, text)
    if problem is None:
        assert not mismatch
    else:
        assert getattr(mismatch, problem)


async def test_service_checks_locale_message_and_placeholders(database: Database) -> None:
    tenant = await create_tenant(database, locales=("en", "fr"))
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        service = UiTextOverrideService(session, _record(tenant))
        with pytest.raises(OverrideRefusedError) as refused:
            await service.set("ar", MESSAGE, "سجل الدخول", actor="t")
        assert refused.value.detail["field"] == "locale"
        with pytest.raises(OverrideRefusedError) as refused:
            await service.set("fr", "not a platform message", "x", actor="t")
        assert refused.value.detail["field"] == "message_id"
        assert await service.set("fr", MESSAGE, "connectez-vous", actor="t") == Change.CREATED
        assert await service.set("fr", MESSAGE, "connectez-vous", actor="t") == Change.UNCHANGED
        assert await service.set("fr", MESSAGE, "", actor="t") == Change.REMOVED
        assert await service.counts() == {}


async def test_cache_is_per_tenant_and_refreshed_after_a_change(database: Database) -> None:
    first = await create_tenant(database, locales=("en", "fr"))
    second = await create_tenant(database, locales=("en", "fr"))
    cache = OverrideCache(database, refresh_seconds=3600)
    assert await cache.get(_record(first)) == {}
    async with database.transaction(TenantScope(first.id, first.code)) as session:
        service = UiTextOverrideService(
            session, _record(first), on_change=lambda: cache.forget(first.id)
        )
        await service.set("fr", MESSAGE, "connectez-vous", actor="t")
    assert (await cache.get(_record(first)))["fr"][MESSAGE] == "connectez-vous"
    assert await cache.get(_record(second)) == {}


async def test_other_processes_read_the_rows_again_only_when_the_revision_moved(
    database: Database,
) -> None:
    tenant = await create_tenant(database, locales=("en", "fr"))
    elsewhere = OverrideCache(database, refresh_seconds=0)  # another process: checks every time
    empty = await elsewhere.get(_record(tenant))
    assert empty is NO_OVERRIDES  # one shared empty mapping for every tenant without any
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        await UiTextOverrideService(session, _record(tenant)).set(
            "fr", MESSAGE, "connectez-vous", actor="t"
        )
    seen = await elsewhere.get(_record(tenant))
    assert seen["fr"][MESSAGE] == "connectez-vous"
    assert await elsewhere.get(_record(tenant)) is seen  # same revision: the kept copy
