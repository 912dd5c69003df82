"""Choosing a request's locale: ``?lang=`` > cookie > ``Accept-Language`` > default.

Every source is only a wish: the answer is always one of the locales on
offer (a tenant's enabled ones), and a wish that cannot be met, or cannot
even be read, falls through to the next source and finally to the default.
A person never gets an error for asking for a language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import parse_qsl

from litestar.types import Scope

LOCALE_QUERY_PARAMETER = "lang"
LOCALE_COOKIE = "asan_locale"

_LANGUAGE_RANGE = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")
_QUALITY = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")
_MAX_HEADER_LENGTH = 1024
_MAX_RANGES = 32
"""Bounds on what is parsed of a header, so a hostile one costs no more than a normal one."""


def _normalise(tag: str) -> str | None:
    tag = tag.strip()
    if len(tag) > 64 or not _LANGUAGE_RANGE.match(tag):
        return None
    return tag.replace("_", "-").lower()


def match_locale(wanted: str, offered: Sequence[str]) -> str | None:
    """The offered locale that best serves a language range, or None.

    RFC 4647 lookup first (``ar-MA`` -> ``ar``, ``zh-Hant-TW`` -> ``zh-Hant``),
    then basic filtering (``en`` is served by ``en_GB``), so a range is only
    ever matched by the same language.
    """
    tag = _normalise(wanted)
    if tag is None:
        return None
    by_tag: dict[str, str] = {}
    for locale in offered:
        normalised = _normalise(locale)
        if normalised is not None:
            by_tag.setdefault(normalised, locale)
    candidate = tag
    while candidate:
        if candidate in by_tag:
            return by_tag[candidate]
        candidate = candidate.rpartition("-")[0]
    for normalised, locale in by_tag.items():
        if normalised.startswith(tag + "-"):
            return locale
    return None


def parse_accept_language(header: str) -> list[str]:
    """Language ranges in order of preference: by q-value, then as listed.

    Entries with a malformed range or q-value are skipped; ``q=0`` means "not
    this one" and is dropped. ``*`` is kept: it means any language will do.
    """
    weighted: list[tuple[float, int, str]] = []
    for position, entry in enumerate(header[:_MAX_HEADER_LENGTH].split(",")[:_MAX_RANGES]):
        language_range, *parameters = (part.strip() for part in entry.split(";"))
        if not language_range:
            continue
        quality = 1.0
        valid = language_range == "*" or _normalise(language_range) is not None
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() != "q":
                continue
            if not _QUALITY.match(value.strip()):
                valid = False
                break
            quality = float(value)
        if valid and quality > 0:
            weighted.append((-quality, position, language_range))
    return [language_range for _, _, language_range in sorted(weighted)]


def negotiate_locale(
    query_lang: str | None,
    cookie_lang: str | None,
    accept_language: str | None,
    enabled: Sequence[str],
    default: str,
) -> str:
    """The locale to answer in, always one of ``enabled`` (or ``default``).

    The explicit choices (the ``lang`` query parameter, then the cookie a
    language picker sets) come before the browser's ``Accept-Language``; one
    that is not offered is passed over, never an error.
    """
    for explicit in (query_lang, cookie_lang):
        if explicit:
            found = match_locale(explicit, enabled)
            if found is not None:
                return found
    if accept_language:
        for language_range in parse_accept_language(accept_language):
            if language_range == "*":
                return default
            found = match_locale(language_range, enabled)
            if found is not None:
                return found
    return default


def _headers(scope: Scope, name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in scope.get("headers", ()) if key == name]


def _cookie(scope: Scope, name: str) -> str | None:
    """One cookie's value; a malformed cookie header yields nothing rather than an error."""
    for pair in "; ".join(_headers(scope, b"cookie")).split(";"):
        key, separator, value = pair.partition("=")
        if separator and key.strip() == name:
            return value.strip().strip('"')
    return None


def _query_parameter(scope: Scope, name: str) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    for key, value in parse_qsl(query, keep_blank_values=False):
        if key == name:
            return value
    return None


def negotiate_scope_locale(scope: Scope, enabled: Sequence[str], default: str) -> str:
    """:func:`negotiate_locale` fed from an ASGI request's query, cookie and headers."""
    return negotiate_locale(
        _query_parameter(scope, LOCALE_QUERY_PARAMETER),
        _cookie(scope, LOCALE_COOKIE),
        ", ".join(_headers(scope, b"accept-language")),
        enabled,
        default,
    )
