"""Where the UI message catalogues live, and loading their compiled form once per process.

``ASAN_I18N_DIR`` names the directory (default: ``i18n/`` of the checkout,
found like the migrations); it holds ``messages.pot``, ``babel.cfg`` and one
``<locale>/LC_MESSAGES/messages.po`` per locale, compiled next to it into
``messages.mo`` by ``asan i18n compile`` (``make run`` and ``make test`` do).

Compiled catalogues are read once per process and directory, then shared
by every request: they are immutable, and a deployment ships new ones with
a new process. A locale without a compiled catalogue answers in the source
language, with one warning in the log saying how to fix it.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import structlog
from babel.support import NullTranslations, Translations

from asan.i18n._locale import SOURCE_LOCALE

DOMAIN = "messages"
I18N_DIR_VARIABLE = "ASAN_I18N_DIR"

_LOCALE_NAME = re.compile(r"^[A-Za-z]{2,8}(?:_[A-Za-z0-9]{2,8})*$")
"""A locale name is a path component here: nothing else may become one."""

log = structlog.get_logger(__name__)


def repository_root() -> Path:
    # platform/asan/i18n/_catalogues.py -> repository root; only meaningful for a checkout.
    return Path(__file__).resolve().parents[3]


def i18n_directory() -> Path:
    """The catalogue directory: ``ASAN_I18N_DIR``, else the checkout's ``i18n/``.

    The variable is read on every call (one dictionary lookup, and every
    request asks) so that a test or a command may point it elsewhere; what is
    loaded from a directory is cached per directory.
    """
    return _resolve_directory(os.environ.get(I18N_DIR_VARIABLE, "").strip())


@lru_cache(maxsize=8)
def _resolve_directory(configured: str) -> Path:
    return Path(configured).resolve() if configured else repository_root() / "i18n"


def compiled_catalogue_path(directory: Path, locale: str) -> Path:
    return directory / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"


@lru_cache(maxsize=64)
def _load(directory: Path, locale: str) -> NullTranslations:
    if not _LOCALE_NAME.match(locale):
        return NullTranslations()
    path = compiled_catalogue_path(directory, locale)
    if not path.is_file():
        if locale != SOURCE_LOCALE:
            log.warning(
                "no compiled catalogue: answering in the source language; run asan i18n compile",
                locale=locale,
                path=str(path),
            )
        return NullTranslations()
    with path.open("rb") as handle:
        return Translations(fp=handle, domain=DOMAIN)


def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of ``locale`` (an empty one if it has none): loaded once, shared."""
    return _load(i18n_directory(), locale)


@lru_cache(maxsize=16)
def _catalogued(directory: Path) -> tuple[str, ...]:
    found = {SOURCE_LOCALE}
    if directory.is_dir():
        found.update(
            child.name
            for child in directory.iterdir()
            if compiled_catalogue_path(directory, child.name).is_file()
        )
    return tuple(sorted(found))


def catalogued_locales() -> tuple[str, ...]:
    """Locales with a compiled catalogue, and the source language, which needs none.

    What the platform's own host (no tenant) offers.
    """
    return _catalogued(i18n_directory())
