"""The current locale, carried by a context variable, and facts Babel knows about locales.

A context variable rather than an argument threaded through every call: the
locale is decided once per request (``asan.i18n.LocalePlugin``) and every
``gettext`` below it, in Python or in a Jinja2 template, reads it. asyncio
copies context variables into each task, so concurrent requests never see
each other's locale.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from babel import Locale, UnknownLocaleError

SOURCE_LOCALE = "en"
"""The language message ids are written in; the answer when nothing else applies."""

_current: ContextVar[str | None] = ContextVar("asan_locale", default=None)


@contextmanager
def use_locale(locale: str) -> Iterator[str]:
    """Make ``locale`` current for the block; the previous one is restored on exit."""
    token = _current.set(locale)
    try:
        yield locale
    finally:
        _current.reset(token)


def current_locale() -> str:
    """The locale made current by :func:`use_locale`, else the source language."""
    return _current.get() or SOURCE_LOCALE


def locale_is_set() -> bool:
    """Whether a locale was chosen for this context (a request did, a CLI command did not)."""
    return _current.get() is not None


@lru_cache(maxsize=256)
def _babel_locale(locale: str) -> Locale | None:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def text_direction(locale: str) -> str:
    """``"rtl"`` or ``"ltr"`` for ``locale``, from Babel's (CLDR) locale data.

    Templates put it in ``dir="..."``; an unknown locale is ``"ltr"`` so that a
    page still renders, as text in the source language would.
    """
    parsed = _babel_locale(locale)
    return parsed.text_direction if parsed is not None else "ltr"


def language_name(locale: str) -> str:
    """The language's own name for itself (``"русский"`` -> ``"Русский"``), for pickers.

    A person looking for their language reads it in that language, whatever
    the page's current one is.
    """
    parsed = _babel_locale(locale)
    name = (parsed.get_display_name(parsed) if parsed is not None else None) or locale
    return name[:1].upper() + name[1:]


def language_tag(locale: str) -> str:
    """The BCP 47 form of a gettext locale name (``pt_BR`` -> ``pt-BR``), for HTTP and HTML."""
    return locale.replace("_", "-")
