"""Internationalisation of the platform's own UI strings (not tenants' catalogue content).

Owns the request's locale (negotiated by ``LocalePlugin`` from ``?lang=``,
the ``asan_locale`` cookie, ``Accept-Language`` and the tenant's default,
always among the tenant's enabled locales, and carried in a context
variable), the compiled gettext catalogues under ``i18n/``, translation in
Python (``gettext``, ``ngettext``, ``N_``), a tenant's own wording of UI
strings made current for a request (``use_overrides``; the rows and their
rules are ``asan.translations``'s) and in Jinja2 templates
(``jinja_environment``), text direction from Babel's locale data, and the
Babel workflow behind ``asan i18n extract | update | compile | coverage``.
"""

from asan.i18n._catalogues import catalogued_locales, i18n_directory, translations
from asan.i18n._jinja import PLATFORM_TEMPLATES, jinja_environment
from asan.i18n._locale import (
    SOURCE_LOCALE,
    current_locale,
    language_name,
    language_tag,
    locale_is_set,
    text_direction,
    use_locale,
)
from asan.i18n._messages import (
    N_,
    NO_OVERRIDES,
    Overrides,
    gettext,
    ngettext,
    overridden,
    use_overrides,
)
from asan.i18n._middleware import (
    LocaleMiddleware,
    LocalePlugin,
    add_language_headers,
    request_locale,
)
from asan.i18n._negotiation import (
    LOCALE_COOKIE,
    LOCALE_QUERY_PARAMETER,
    match_locale,
    negotiate_locale,
    parse_accept_language,
)
from asan.i18n._workflow import (
    CompiledCatalogue,
    Coverage,
    CoverageRow,
    LocaleCoverage,
    MessageCatalogueError,
    Outcome,
    PlaceholderMismatch,
    UiMessage,
    compile_catalogues,
    extract_messages,
    placeholder_mismatch,
    platform_translations,
    tenant_coverage,
    ui_coverage,
    ui_messages,
    update_catalogues,
)

__all__ = [
    "LOCALE_COOKIE",
    "LOCALE_QUERY_PARAMETER",
    "NO_OVERRIDES",
    "N_",
    "PLATFORM_TEMPLATES",
    "SOURCE_LOCALE",
    "CompiledCatalogue",
    "Coverage",
    "CoverageRow",
    "LocaleCoverage",
    "LocaleMiddleware",
    "LocalePlugin",
    "MessageCatalogueError",
    "Outcome",
    "Overrides",
    "PlaceholderMismatch",
    "UiMessage",
    "add_language_headers",
    "catalogued_locales",
    "compile_catalogues",
    "current_locale",
    "extract_messages",
    "gettext",
    "i18n_directory",
    "jinja_environment",
    "language_name",
    "language_tag",
    "locale_is_set",
    "match_locale",
    "negotiate_locale",
    "ngettext",
    "overridden",
    "parse_accept_language",
    "placeholder_mismatch",
    "platform_translations",
    "request_locale",
    "tenant_coverage",
    "text_direction",
    "translations",
    "ui_coverage",
    "ui_messages",
    "update_catalogues",
    "use_locale",
    "use_overrides",
]
