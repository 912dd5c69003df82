"""Jinja2: the i18n extension installed once, each render in its own request's locale."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from jinja2 import DictLoader

from asan.i18n import jinja_environment, use_locale

PAGE = """\
<html lang="{{ language_tag(current_locale()) }}" dir="{{ text_direction(current_locale()) }}">
<h1>{{ _("Not Found") }}</h1>
{{ both_started() }}
{% from "i18n/language_picker.html" import language_picker %}
{{ language_picker(locales) }}
</html>
"""


async def test_two_requests_render_at_once_each_in_its_own_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environment = jinja_environment(DictLoader({"page.html": PAGE}), enable_async=True)
    installed = environment.globals["gettext"]

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("translations must not be installed per request")

    monkeypatch.setattr(environment, "install_gettext_callables", refuse)
    both_started = asyncio.Barrier(2)

    async def wait_for_the_other() -> str:
        await both_started.wait()  # both renders are half done when either goes on
        return ""

    async def render(locale: str, locales: list[str]) -> str:
        with use_locale(locale):
            return await environment.get_template("page.html").render_async(
                locales=locales, both_started=wait_for_the_other
            )

    arabic, russian = await asyncio.gather(
        render("ar", ["ar", "fr", "en"]), render("ru", ["az", "en", "ru"])
    )

    assert '<html lang="ar" dir="rtl">' in arabic
    assert "<h1>غير موجود</h1>" in arabic
    assert 'aria-label="اللغة"' in arabic
    assert "هذا الموقع متاح بـ3 لغات." in arabic
    assert '<a href="?lang=ar" hreflang="ar" lang="ar" dir="rtl" aria-current="true">' in arabic

    assert '<html lang="ru" dir="ltr">' in russian
    assert "<h1>Не найдено</h1>" in russian
    assert 'aria-label="Язык"' in russian
    assert "Сайт доступен на 3 языках." in russian
    assert ">Azərbaycan</a>" in russian  # each language named in itself

    assert environment.globals["gettext"] is installed


@pytest.mark.parametrize(
    ("locale", "locales", "sentence"),
    [
        ("ar", ["ar"], "هذا الموقع متاح بلغة واحدة."),
        ("ar", ["ar", "fr"], "هذا الموقع متاح بلغتين."),
        ("ru", ["ru"], "Сайт доступен на 1 языке."),
        ("fr", ["ar", "fr"], "Ce site est disponible en 2 langues."),
        ("et", ["et"], "See veebisait on saadaval 1 keeles."),
        ("az", ["az", "en", "ru"], "Bu sayt 3 dildə təqdim olunur."),
    ],
)
def test_template_plurals_follow_each_language(
    locale: str, locales: list[str], sentence: str
) -> None:
    environment = jinja_environment(
        DictLoader(
            {
                "picker.html": '{% from "i18n/language_picker.html" import language_picker %}'
                "{{ language_picker(locales) }}"
            }
        )
    )
    with use_locale(locale):
        assert sentence in environment.get_template("picker.html").render(locales=locales)


def test_values_filled_into_messages_are_escaped() -> None:
    environment = jinja_environment(DictLoader({"x.html": "{{ _('Hello %(name)s', name=name) }}"}))
    with use_locale("fr"):
        assert environment.get_template("x.html").render(name="<b>") == "Hello &lt;b&gt;"
