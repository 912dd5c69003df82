"""The committed catalogues: complete, consistent, and in step with the sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po

from asan.i18n import Outcome, extract_messages
from asan.i18n._workflow import check_catalogue, placeholder_problems
from tests.i18n.conftest import CHECKOUT_I18N, LOCALES, copy_catalogues

PLURAL_FORMS = {"az": 2, "en": 2, "et": 2, "fr": 2, "ru": 3, "ar": 6}


def template_ids() -> list[str]:
    with (CHECKOUT_I18N / "messages.pot").open("rb") as handle:
        return [message.id for message in read_po(handle) if message.id]


def test_there_is_a_catalogue_for_every_demo_locale() -> None:
    found = sorted(path.parent.parent.name for path in CHECKOUT_I18N.glob("*/LC_MESSAGES/*.po"))
    assert found == sorted(LOCALES)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    path = CHECKOUT_I18N / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    untranslated = []
    for message_id in template_ids():
        message: Message | None = catalog.get(message_id)
        if message is None or message.fuzzy:
            untranslated.append(message_id)
            continue
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if not all(strings):
            untranslated.append(message_id)
    assert not untranslated, f"{path} lacks translations of {untranslated}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_their_placeholders_and_plural_forms(locale: str) -> None:
    path = CHECKOUT_I18N / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    assert catalog.num_plurals == PLURAL_FORMS[locale]
    assert check_catalogue(catalog, path) == []


def test_a_translation_with_a_foreign_placeholder_is_caught() -> None:
    wrong = Message("no tenant with code {code!r}", "aucun portail {host}")
    missing = Message("no tenant with code {code!r}", "aucun portail")
    dropped_count = Message(
        ("{n} working day", "{n} working days"), ("يوم عمل واحد", "{n} أيام عمل")
    )
    assert placeholder_problems(wrong) == [
        "unknown placeholder(s) ['host'] in 'aucun portail {host}'"
    ]
    assert placeholder_problems(missing) == ["placeholder(s) ['code'] missing in 'aucun portail'"]
    assert placeholder_problems(dropped_count) == []


def test_the_template_is_in_step_with_the_sources(tmp_path: Path) -> None:
    """Fails when a marked string was added or changed without ``asan i18n extract``."""
    directory = copy_catalogues(tmp_path / "i18n")
    outcome, count = extract_messages(directory)
    assert outcome is Outcome.UNCHANGED, (
        "i18n/messages.pot is behind the sources: run asan i18n extract, then asan i18n update"
    )
    assert count == len(template_ids())
