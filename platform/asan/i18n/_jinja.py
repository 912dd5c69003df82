"""Jinja2 environments whose ``_``/``gettext``/``ngettext`` follow the current locale.

The i18n extension is installed once, when the environment is built, with
callables that look the locale up in the context variable at each call. The
usual alternative, installing a locale's translations into the environment
before rendering, changes an object shared by every concurrent request: two
requests in different languages would translate each other's pages.

Templates use Jinja's newstyle gettext: ``{{ _("Hello %(name)s", name=x) }}``
and ``{% trans count=n %}...{% pluralize %}...{% endtrans %}``, with
autoescaping of the filled-in values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from jinja2 import BaseLoader, ChoiceLoader, Environment, PackageLoader, select_autoescape
from markupsafe import escape

from asan.i18n._catalogues import translations
from asan.i18n._locale import current_locale, language_name, language_tag, text_direction
from asan.i18n._messages import overridden


class _InstallGettextCallables(Protocol):
    """What ``jinja2.ext.i18n`` adds to an environment (untyped, as it is added at runtime)."""

    def __call__(
        self,
        gettext: Callable[[str], str],
        ngettext: Callable[[str, str, int], str],
        newstyle: bool | None = None,
        pgettext: Callable[[str, str], str] | None = None,
        npgettext: Callable[[str, str, str, int], str] | None = None,
    ) -> None: ...


def _gettext(message: str) -> str:
    """A tenant's own wording first; it is escaped, being the tenant's text, not the platform's.

    Newstyle gettext marks what this returns as safe markup (the platform's
    translations are trusted); a tenant admin's wording is shown as text.
    """
    own = overridden(message)
    if own is not None:
        return escape(own)
    return translations(current_locale()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale()).ngettext(singular, plural, n)


def _pgettext(context: str, message: str) -> str:
    return str(translations(current_locale()).pgettext(context, message))


def _npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return translations(current_locale()).npgettext(context, singular, plural, n)


PLATFORM_TEMPLATES = PackageLoader("asan.i18n", "templates")
"""The templates this package ships (``i18n/language_picker.html``), for any environment."""


def jinja_environment(loader: BaseLoader, *, enable_async: bool = False) -> Environment:
    """An autoescaping environment over ``loader`` and the platform's own templates.

    Besides the gettext functions, templates get ``current_locale()``,
    ``text_direction(locale)`` (for ``dir=``), ``language_tag(locale)`` (for
    ``lang=``) and ``language_name(locale)``. ``enable_async`` is for callers
    that render with ``render_async``; Litestar's template engine renders
    synchronously.
    """
    environment = Environment(
        loader=ChoiceLoader([loader, PLATFORM_TEMPLATES]),
        autoescape=select_autoescape(default_for_string=True, default=True),
        extensions=["jinja2.ext.i18n"],
        enable_async=enable_async,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    install: _InstallGettextCallables = environment.install_gettext_callables  # type: ignore[attr-defined]
    install(_gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext)
    environment.globals.update(
        current_locale=current_locale,
        text_direction=text_direction,
        language_tag=language_tag,
        language_name=language_name,
    )
    return environment
