"""``asan i18n``: extract, update, compile and coverage, on a copy of the catalogues."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner, Result

from asan.cli._context import CliContext
from asan.cli.i18n import i18n
from asan.db import Database, migrate
from asan.i18n import compile_catalogues
from asan.i18n._catalogues import _load
from tests.i18n.conftest import copy_catalogues
from tests.support.databases import ScratchDatabase
from tests.support.factories import create_tenant


def run(*args: str) -> Result:
    result = CliRunner().invoke(i18n, list(args), obj=CliContext(verbose=False))
    assert result.exit_code == 0, result.output
    return result


def forms(string: str | tuple[str, ...] | list[str]) -> list[str]:
    return [string] if isinstance(string, str) else list(string)


def message_count(directory: Path) -> int:
    with (directory / "messages.pot").open("rb") as handle:
        return len(read_po(handle))


def test_extract_update_compile_round_trip(tmp_path: Path) -> None:
    directory = copy_catalogues(tmp_path / "i18n")
    count = message_count(directory)
    (directory / "messages.pot").unlink()
    (directory / "fr" / "LC_MESSAGES" / "messages.po").unlink()

    assert run("extract", "--directory", str(directory)).output == (
        f"messages.pot: created ({count} messages)\n"
    )
    assert message_count(directory) == count
    assert run("extract", "--directory", str(directory)).output.startswith(
        "messages.pot: unchanged"
    )

    russian_path = directory / "ru" / "LC_MESSAGES" / "messages.po"
    with russian_path.open("rb") as handle:
        russian = read_po(handle, locale="ru")
    russian.delete("Conflict")  # as if the message were new in the sources
    with russian_path.open("wb") as handle:
        write_po(handle, russian)

    updated = run("update", "--directory", str(directory), "fr", "ru", "et").output.splitlines()
    assert updated == ["et: unchanged", "fr: created", "ru: updated"]
    with (directory / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        french = read_po(handle, locale="fr")
    assert len(french) == count
    assert not any(form for message in french if message.id for form in forms(message.string))

    compiled = run("compile", "--directory", str(directory)).output.splitlines()
    assert f"fr: 0/{count} translated" in compiled
    # "Conflict" is untranslated again, or a fuzzy guess (not a translation) if the
    # catalogue holds a similar message: either way one message short.
    assert any(line.startswith(f"ru: {count - 1}/{count} translated") for line in compiled)
    assert f"et: {count}/{count} translated" in compiled
    assert (directory / "ru" / "LC_MESSAGES" / "messages.mo").is_file()

    french["Not Found"].string = "Introuvable"
    with (directory / "fr" / "LC_MESSAGES" / "messages.po").open("wb") as handle:
        write_po(handle, french)
    assert f"fr: 1/{count} translated" in run("compile", "--directory", str(directory), "fr").output
    assert _load(directory.resolve(), "fr").gettext("Not Found") == "Introuvable"


def test_compile_refuses_a_broken_catalogue_and_writes_nothing(tmp_path: Path) -> None:
    directory = copy_catalogues(tmp_path / "i18n")
    path = directory / "az" / "LC_MESSAGES" / "messages.po"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "{code!r} kodlu dərc edilmiş xidmət yoxdur", "{kod!r} kodlu dərc edilmiş xidmət yoxdur"
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        i18n, ["compile", "--directory", str(directory)], obj=CliContext(verbose=False)
    )
    assert result.exit_code == 1
    assert "unknown placeholder(s) ['kod']" in result.output
    assert "nothing was compiled (1 problem(s))" in result.output
    assert not list(directory.glob("*/LC_MESSAGES/messages.mo"))


@pytest.fixture
def tenant_database(
    fresh_database: ScratchDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ScratchDatabase:
    """A migrated database holding tenant ``ma`` (ar, fr), which the CLI's settings name."""
    migrate.upgrade(fresh_database.settings(tmp_path / "var"))

    async def add_tenant() -> None:
        database = Database.from_url(fresh_database.runtime_url, pool_size=1)
        try:
            await create_tenant(database, "ma", locales=("ar", "fr"))
        finally:
            await database.dispose()

    asyncio.run(add_tenant())
    monkeypatch.setenv("ASAN_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ASAN_DATABASE_URL", fresh_database.runtime_url)
    monkeypatch.setenv("ASAN_MIGRATION_DATABASE_URL", fresh_database.owner_url)
    monkeypatch.setenv("ASAN_DB_RUNTIME_ROLE", "asan_test_runtime")
    monkeypatch.setenv("ASAN_LOG_LEVEL", "WARNING")
    return fresh_database


def test_coverage_reports_each_enabled_locale_and_its_gaps(
    tenant_database: ScratchDatabase, tmp_path: Path
) -> None:
    directory = copy_catalogues(tmp_path / "i18n")
    path = directory / "fr" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        french = read_po(handle, locale="fr")
    french["Conflict"].string = ""
    french["Language"].flags.add("fuzzy")  # a guess is not a translation
    with path.open("wb") as handle:
        write_po(handle, french)
    compile_catalogues(directory, ["ar"])
    total = message_count(directory)

    report = json.loads(run("coverage", "ma", "--json", "--directory", str(directory)).output)
    assert report["tenant"] == "ma"
    assert report["default_locale"] == "ar"
    arabic, french_row = report["locales"]
    assert (arabic["locale"], arabic["default"]) == ("ar", True)
    assert arabic["ui"] == {"translated": total, "total": total, "share": 1.0, "gaps": []}
    assert french_row["locale"] == "fr"
    assert french_row["ui"]["translated"] == total - 2
    assert sorted(french_row["ui"]["gaps"]) == ["Conflict", "Language"]
    # The tenant has no catalogue yet: nothing to translate, nothing missing.
    assert arabic["catalogue"] == {"translated": 0, "total": 0, "share": 1.0, "gaps": []}

    text = run("coverage", "ma", "--directory", str(directory)).output
    assert text.splitlines()[0].split() == [
        "ar",
        "(default)",
        "UI",
        "strings",
        f"{total}/{total}",
        "(100%)",
        "catalogue",
        "texts",
        "0/0",
        "(100%)",
    ]
    assert "  missing UI strings:\n" in text
    assert "\n    Conflict\n" in text
    assert "\n    Language\n" in text


def test_coverage_of_an_unknown_tenant_is_an_error(tenant_database: ScratchDatabase) -> None:
    result = CliRunner().invoke(i18n, ["coverage", "xx"], obj=CliContext(verbose=False))
    assert result.exit_code != 0
    assert str(result.exception) == "no tenant with code 'xx'"
