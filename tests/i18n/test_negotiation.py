"""Which locale a request gets: ``?lang=`` > cookie > Accept-Language > default."""

from __future__ import annotations

import pytest

from asan.i18n import match_locale, negotiate_locale, parse_accept_language

AZ = ("az", "en", "ru")


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("ru", "en", "en", "ru"),  # the query parameter beats everything
        (None, "en", "ru", "en"),  # the cookie beats the browser
        (None, None, "ru", "ru"),
        (None, None, None, "az"),  # nothing asked: the tenant's default
        ("de", None, None, "az"),  # not offered: the default, no error
        (None, "de", None, "az"),
        (None, None, "de, fr;q=0.8", "az"),
        ("de", "xx-YY", "ru", "ru"),  # an unmet wish falls through to the next source
        ("en-GB", None, None, "en"),  # a regional variant is served by its language
        ("RU", None, None, "ru"),
        ("ru_RU", None, None, "ru"),
    ],
)
def test_precedence_and_fallbacks(
    query: str | None, cookie: str | None, accept: str | None, expected: str
) -> None:
    assert negotiate_locale(query, cookie, accept, AZ, "az") == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("ru;q=0.5, en;q=0.9", "en"),  # q-values, not the order, decide
        ("en;q=0.9, ru;q=0.9", "en"),  # equal q-values keep the order
        ("ru;q=0, en;q=0.1", "en"),  # q=0 means "not this one"
        ("de, *;q=0.5", "az"),  # any language will do: the default
        ("fr-FR, ru-RU;q=0.7", "ru"),
        ("en;q=high, ru;q=0.3", "ru"),  # a malformed q-value drops that entry only
        ("en;q=1.5, ru;q=0.3", "ru"),
        ("<script>, ru", "ru"),
        (";;,,, ", "az"),
        ("ru;level=1;q=0.4, en;q=0.3", "ru"),  # other parameters are ignored
    ],
)
def test_accept_language_q_values(accept: str, expected: str) -> None:
    assert negotiate_locale(None, None, accept, AZ, "az") == expected


def test_language_ranges_match_by_lookup_then_prefix() -> None:
    assert match_locale("ar-MA", ("ar", "fr")) == "ar"
    assert match_locale("zh-Hant-TW", ("zh_Hant", "zh")) == "zh_Hant"
    assert match_locale("pt", ("pt_BR",)) == "pt_BR"
    assert match_locale("pt-PT", ("pt_BR",)) is None  # another region is not a prefix
    assert match_locale("a", ("ar",)) is None  # never a partial subtag


def test_a_hostile_header_costs_no_more_than_a_normal_one() -> None:
    header = ", ".join(f"x{i};q=0.{i % 10}" for i in range(10_000)) + ", ru"
    assert len(parse_accept_language(header)) <= 32
    assert negotiate_locale(None, None, header, AZ, "az") == "az"
