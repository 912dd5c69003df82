"""Translating the platform's own strings in Python code.

Message ids are English with ``{name}`` placeholders (``str.format``), filled
after translation so that a translator can move them: ``gettext("no tenant
with code {code!r}", code=code)``. Jinja2 templates use Jinja's own
``%(name)s`` convention instead (see ``_jinja``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

import structlog

from asan.i18n._catalogues import translations
from asan.i18n._locale import current_locale

log = structlog.get_logger(__name__)

Overrides = Mapping[str, Mapping[str, str]]
"""A tenant's own wording: locale -> message id -> text (see ``asan.translations``)."""

NO_OVERRIDES: Overrides = MappingProxyType({})
"""No wording of one's own: outside a tenant's request, and a tenant that has none (shared)."""
_NO_TEXTS: Mapping[str, str] = MappingProxyType({})
_overrides: ContextVar[Overrides] = ContextVar("asan_ui_overrides", default=NO_OVERRIDES)


@contextmanager
def use_overrides(overrides: Overrides) -> Iterator[Overrides]:
    """Let ``overrides`` replace the platform's translations for the block (one request).

    Keyed by locale, so that a block that switches locale (``use_locale``)
    gets that locale's wording, never the request's. A context variable, like
    the locale: concurrent requests of other tenants never see them, and the
    previous value is restored on exit.
    """
    token = _overrides.set(overrides)
    try:
        yield overrides
    finally:
        _overrides.reset(token)


def overridden(message: str) -> str | None:
    """The current tenant's own wording of ``message`` in the current locale, if it has one.

    Plural and contextual messages have none: they stay with the platform's catalogues.
    """
    return _overrides.get().get(current_locale(), _NO_TEXTS).get(message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (Babel knows the name).

    For strings defined before any locale is known (error templates, tables
    of phrases) and translated later, at the moment they are shown.
    """
    return message


def _fill(translated: str, source: str, params: dict[str, Any]) -> str:
    """Fill the placeholders; a translation that breaks them falls back to the source text.

    Only with params: a message without any may contain braces of its own.
    A broken translation must not turn an answer into a crash, and the test
    suite checks every catalogue's placeholders, so this is a last resort.
    """
    if not params:
        return translated
    try:
        return translated.format(**params)
    except (KeyError, IndexError, ValueError, AttributeError):
        log.warning("translation has broken placeholders", message=source, locale=current_locale())
        return source.format(**params)


def gettext(message: str, **params: Any) -> str:
    """``message`` in the current locale (itself if untranslated), placeholders filled."""
    translated = overridden(message)
    if translated is None:
        translated = translations(current_locale()).gettext(message)
    return _fill(translated, message, params)


def ngettext(singular: str, plural: str, n: int, /, **params: Any) -> str:
    """The form for ``n`` in the current locale's plural rules; ``{n}`` is the count.

    ``n`` is positional-only, so ``ngettext(s, p, count, n=shown)`` may fill
    ``{n}`` with something else than the number that picks the form.
    """
    translated = translations(current_locale()).ngettext(singular, plural, n)
    return _fill(translated, singular if n == 1 else plural, {"n": n, **params})
