"""Translating in Python: the current locale, plural forms, error templates, text direction."""

from __future__ import annotations

import asyncio

import pytest

from asan.errors import AsanError, TenantNotFoundError
from asan.i18n import (
    N_,
    current_locale,
    gettext,
    language_name,
    ngettext,
    text_direction,
    use_locale,
)

PROBLEMS = (
    "The request is not valid: {n} problem was found.",
    "The request is not valid: {n} problems were found.",
)


def problems(locale: str, n: int) -> str:
    with use_locale(locale):
        return ngettext(*PROBLEMS, n)


def test_outside_any_request_messages_are_english() -> None:
    assert current_locale() == "en"
    assert gettext("Not Found") == "Not Found"


def test_use_locale_restores_the_previous_locale() -> None:
    with use_locale("fr"):
        with use_locale("et"):
            assert gettext("Not Found") == "Ei leitud"
        assert gettext("Not Found") == "Introuvable"
    assert current_locale() == "en"


def test_an_untranslated_message_falls_back_to_itself() -> None:
    with use_locale("ru"):
        assert gettext("nobody ever wrote {this}", this="that") == "nobody ever wrote that"
    with use_locale("kk"):  # no catalogue at all
        assert gettext("Not Found") == "Not Found"


def test_russian_has_three_plural_forms() -> None:
    assert problems("ru", 1) == "Некорректный запрос: найдена 1 ошибка."
    assert problems("ru", 21) == "Некорректный запрос: найдена 21 ошибка."
    assert problems("ru", 3) == "Некорректный запрос: найдены 3 ошибки."
    assert problems("ru", 5) == "Некорректный запрос: найдено 5 ошибок."
    assert problems("ru", 11) == "Некорректный запрос: найдено 11 ошибок."


def test_arabic_has_six_plural_forms() -> None:
    forms = {n: problems("ar", n) for n in (0, 1, 2, 3, 11, 100)}
    assert forms == {
        0: "الطلب غير صالح: عُثر على 0 مشكلة.",
        1: "الطلب غير صالح: عُثر على مشكلة واحدة.",
        2: "الطلب غير صالح: عُثر على مشكلتين.",
        3: "الطلب غير صالح: عُثر على 3 مشكلات.",
        11: "الطلب غير صالح: عُثر على 11 مشكلة.",
        100: "الطلب غير صالح: عُثر على 100 مشكلة.",
    }


def test_french_counts_zero_and_one_alike() -> None:
    assert problems("fr", 0).endswith("0 problème a été trouvé.")
    assert problems("fr", 2).endswith("2 problèmes ont été trouvés.")


def test_the_count_shown_may_differ_from_the_count_that_picks_the_form() -> None:
    with use_locale("ru"):
        assert ngettext("{n} working day", "{n} working days", 2, n="2–4") == "2–4 рабочих дня"


def test_an_error_template_is_english_in_message_and_translated_on_demand() -> None:
    error = TenantNotFoundError(
        N_("no tenant with code {code!r}"), code="xx", detail={"code": "xx"}
    )
    assert error.message == str(error) == "no tenant with code 'xx'"
    assert error.detail == {"code": "xx"}
    assert error.message_in("fr") == "aucun portail avec le code 'xx'"
    assert error.message_in("az") == "'xx' kodlu portal yoxdur"
    assert error.message_in("ar") == "لا توجد بوابة بالرمز 'xx'"
    assert current_locale() == "en"  # rendering in a locale leaves the context alone


def test_an_error_made_the_old_way_keeps_its_text_braces_included() -> None:
    error = AsanError("bundle {broken: yes}", detail={"file": "x"})
    assert error.message == "bundle {broken: yes}"
    assert error.message_in("ru") == "bundle {broken: yes}"
    assert error.detail == {"file": "x"}


async def test_concurrent_tasks_keep_their_own_locale() -> None:
    both_started = asyncio.Barrier(2)

    async def translate(locale: str) -> str:
        with use_locale(locale):
            await both_started.wait()
            return gettext("Not Found")

    assert await asyncio.gather(translate("az"), translate("ru")) == ["Tapılmadı", "Не найдено"]


@pytest.mark.parametrize(
    ("locale", "direction"),
    [("ar", "rtl"), ("fr", "ltr"), ("az", "ltr"), ("ar-MA", "rtl"), ("he", "rtl"), ("??", "ltr")],
)
def test_text_direction_comes_from_babel(locale: str, direction: str) -> None:
    assert text_direction(locale) == direction


def test_languages_are_named_in_their_own_language() -> None:
    assert [language_name(code) for code in ("az", "ru", "ar", "et")] == [
        "Azərbaycan",
        "Русский",
        "العربية",
        "Eesti",
    ]
