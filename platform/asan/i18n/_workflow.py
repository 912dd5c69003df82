"""The Babel workflow over the platform's UI strings, shared by ``asan i18n`` and the tests.

``extract`` reads ``babel.cfg`` and writes ``messages.pot`` from the Python
and Jinja2 sources; ``update`` merges it into every ``<locale>/LC_MESSAGES/
messages.po`` (creating one for a new locale); ``compile`` checks every
catalogue and writes the ``.mo`` files the running platform reads;
``coverage`` says, per locale, how much is translated and what is not.

Babel's Python API is used rather than ``pybabel``: the same behaviour, but
problems come back as values the commands report, and files are rewritten
only when their content changes (a re-extraction with nothing new leaves the
committed template alone, header dates included).
"""

from __future__ import annotations

import io
import os
import re
import string
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po, write_po

from asan import __version__
from asan.errors import AsanError
from asan.i18n._catalogues import DOMAIN, compiled_catalogue_path, repository_root

TEMPLATE_FILE = f"{DOMAIN}.pot"
MAPPING_FILE = "babel.cfg"
PROJECT = "ASAN Platform"
COMMENT_TAGS = ("Translators:",)
"""``# Translators: ...`` just above a marked string reaches the translator as a note."""

_WIDTH = 100
_HEADER = f"""\
# Translations template for {PROJECT}: the platform's own UI strings.
# Made by `asan i18n extract`; translate in <locale>/LC_MESSAGES/messages.po.
#"""


class MessageCatalogueError(AsanError):
    """A catalogue cannot be built or used; ``problems`` lists every reason found."""

    code = "message_catalogue_invalid"

    def __init__(self, problems: list[str]) -> None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}", detail={"problems": problems})
        self.problems = problems


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def source_root() -> Path:
    """Where extraction starts: the checkout, the paths in ``babel.cfg`` are relative to it."""
    return repository_root()


def catalogue_path(directory: Path, locale: str) -> Path:
    return directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalogue_locales(directory: Path) -> list[str]:
    """Locales with a ``.po`` file, sorted."""
    return sorted(path.parent.parent.name for path in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def _read(path: Path, locale: str | None = None) -> Catalog:
    try:
        with path.open("rb") as handle:
            return read_po(handle, locale=locale, abort_invalid=True)
    except FileNotFoundError as exc:
        raise MessageCatalogueError([f"{path}: no such file"]) from exc
    except (PoFileError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise MessageCatalogueError([f"{path}: cannot be read: {exc}"]) from exc


def _render_po(catalog: Catalog, *, template: bool) -> bytes:
    buffer = io.BytesIO()
    write_po(
        buffer,
        catalog,
        width=_WIDTH,
        include_lineno=False,  # file names help translators; line numbers only churn
        omit_header=False,
        ignore_obsolete=template,
    )
    return buffer.getvalue()


def _write_if_changed(path: Path, content: bytes) -> Outcome:
    """Write atomically, unless only the header (its dates) would change."""
    existed = path.is_file()
    if existed and _without_header(path.read_bytes()) == _without_header(content):
        return Outcome.UNCHANGED
    _write_atomically(path, content)
    return Outcome.UPDATED if existed else Outcome.CREATED


def _without_header(po: bytes) -> bytes:
    """A ``.po``/``.pot`` without its header entry, whose dates change on every write."""
    catalog = read_po(io.BytesIO(po))
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=_WIDTH, include_lineno=False, omit_header=True)
    return buffer.getvalue()


def _write_atomically(path: Path, content: bytes) -> None:
    """Readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(content)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the file from a service account
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- extract ------------------------------------------------------------------


def extract_messages(directory: Path, root: Path | None = None) -> tuple[Outcome, int]:
    """Write ``messages.pot`` from the sources ``babel.cfg`` names; return what happened, and
    how many messages it holds."""
    root = root or source_root()
    mapping_path = directory / MAPPING_FILE
    try:
        with mapping_path.open(encoding="utf-8") as handle:
            # Babel's own reader, so babel.cfg means exactly what it means to pybabel.
            method_map, options_map = parse_mapping_cfg(handle, str(mapping_path))  # type: ignore[no-untyped-call]
    except FileNotFoundError as exc:
        raise MessageCatalogueError([f"{mapping_path}: no such file"]) from exc
    catalog = Catalog(
        project=PROJECT,
        version=__version__,
        header_comment=_HEADER,
        charset="utf-8",
        fuzzy=False,
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        root,
        method_map,
        options_map,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    outcome = _write_if_changed(directory / TEMPLATE_FILE, _render_po(catalog, template=True))
    return outcome, len(catalog)


# --- update -------------------------------------------------------------------


def update_catalogues(directory: Path, locales: Sequence[str] = ()) -> dict[str, Outcome]:
    """Merge ``messages.pot`` into each locale's ``.po`` (all of them by default).

    A locale named here without a ``.po`` gets a new one, with the plural
    rules of Babel's locale data. A message whose id changed slightly comes
    back marked fuzzy with its old translation: a translator must confirm
    it, and until then it is not compiled and counts as a gap.
    """
    template = _read(directory / TEMPLATE_FILE)
    outcomes: dict[str, Outcome] = {}
    for locale in sorted(set(locales) or set(catalogue_locales(directory))):
        path = catalogue_path(directory, locale)
        catalog = _read(path, locale) if path.is_file() else Catalog(locale=locale, fuzzy=False)
        catalog.update(template, update_header_comment=False, update_creation_date=False)
        outcomes[locale] = _write_if_changed(path, _render_po(catalog, template=False))
    return outcomes


# --- compile ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompiledCatalogue:
    locale: str
    translated: int
    total: int
    fuzzy: int
    path: Path


def _placeholders(text: str) -> set[str] | None:
    """The ``{name}`` fields of a ``str.format`` string, or None if it cannot be parsed."""
    try:
        return {
            field.split(".")[0].split("[")[0]
            for _, field, _, _ in string.Formatter().parse(text)
            if field is not None
        }
    except ValueError:
        return None


def _forms(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def placeholder_problems(message: Message) -> list[str]:
    """Where a translation's ``{name}`` fields disagree with its message id's.

    Babel checks ``%(name)s`` placeholders (the Jinja2 messages); the Python
    messages use ``str.format`` and are checked here. A plural form may leave
    out the count (Arabic says "two problems" in one word), nothing may add a
    field the code does not pass.
    """
    ids = _forms(message.id)
    if "python-format" in message.flags or not any("{" in text for text in ids):
        return []
    expected: set[str] = set()
    for text in ids:
        fields = _placeholders(text)
        if fields is None:
            return []  # braces that are text, not fields
        expected |= fields
    problems = []
    for form in _forms(message.string):
        if not form:
            continue
        fields = _placeholders(form)
        if fields is None:
            problems.append(f"unbalanced braces in {form!r}")
        elif not fields <= expected:
            problems.append(f"unknown placeholder(s) {sorted(fields - expected)} in {form!r}")
        elif not message.pluralizable and fields != expected:
            problems.append(f"placeholder(s) {sorted(expected - fields)} missing in {form!r}")
    return problems


def _is_translated(message: Message) -> bool:
    forms = _forms(message.string)
    return bool(forms) and all(forms) and not message.fuzzy


def check_catalogue(catalog: Catalog, path: Path) -> list[str]:
    """Every problem of one catalogue: Babel's checks (plural forms, ``%`` fields) and ours."""
    problems = []
    for message, errors in catalog.check():
        problems += [f"{path}: {_label(message)}: {error}" for error in errors]
    for message in catalog:
        if message.id and _is_translated(message):
            problems += [f"{path}: {_label(message)}: {p}" for p in placeholder_problems(message)]
    return problems


def _label(message: Message) -> str:
    return repr(_forms(message.id)[0])


def compile_catalogues(directory: Path, locales: Sequence[str] = ()) -> list[CompiledCatalogue]:
    """Check every catalogue, then write every ``.mo``; on any problem, write none.

    Fuzzy translations are left out, so a guess never reaches a person.
    """
    wanted = sorted(set(locales) or set(catalogue_locales(directory)))
    catalogs = {locale: _read(catalogue_path(directory, locale), locale) for locale in wanted}
    problems = [
        problem
        for locale, catalog in catalogs.items()
        for problem in check_catalogue(catalog, catalogue_path(directory, locale))
    ]
    if problems:
        raise MessageCatalogueError(problems)
    compiled = []
    for locale, catalog in catalogs.items():
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        path = compiled_catalogue_path(directory, locale)
        _write_atomically(path, buffer.getvalue())
        messages = [message for message in catalog if message.id]
        compiled.append(
            CompiledCatalogue(
                locale=locale,
                translated=sum(1 for message in messages if _is_translated(message)),
                total=len(messages),
                fuzzy=sum(1 for message in messages if message.fuzzy and message.string),
                path=path,
            )
        )
    return compiled


# --- coverage -----------------------------------------------------------------


CoverageRow = tuple[str, int, int, Sequence[str]]
"""``(locale, translated, total, gaps)``: how a source of texts reports its coverage."""


@dataclass(frozen=True, slots=True)
class Coverage:
    translated: int
    total: int
    gaps: tuple[str, ...]

    @property
    def share(self) -> float:
        """From 0 to 1; nothing to translate counts as fully translated."""
        return self.translated / self.total if self.total else 1.0


@dataclass(frozen=True, slots=True)
class LocaleCoverage:
    locale: str
    is_default: bool
    ui: Coverage
    """The platform's UI strings (``messages.pot`` against the locale's ``.po``)."""
    catalogue: Coverage | None
    """The tenant's catalogue texts; None when no rows were given for this locale."""


def _modified(path: Path) -> int | None:
    """When ``path`` last changed (ns), None if it does not exist: a memo's key."""
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def _template_modified(directory: Path) -> int:
    path = directory / TEMPLATE_FILE
    modified = _modified(path)
    if modified is None:
        raise MessageCatalogueError([f"{path}: no such file"])
    return modified


_COVERAGE_MEMO: dict[tuple[Path, str], tuple[tuple[int, int | None], Coverage]] = {}
"""(directory, locale) -> the template's and catalogue's mtimes when counted, and the count."""


def ui_coverage(directory: Path, locale: str) -> Coverage:
    """How many of the template's messages ``locale`` translates (fuzzy ones do not count).

    Counted again only when the template or the locale's catalogue changed.
    """
    path = catalogue_path(directory, locale)
    modified = (_template_modified(directory), _modified(path))
    memo = _COVERAGE_MEMO.get((directory, locale))
    if memo is not None and memo[0] == modified:
        return memo[1]
    template = _read(directory / TEMPLATE_FILE)
    wanted = [message for message in template if message.id]
    catalog = _read(path, locale) if modified[1] is not None else Catalog(locale=locale)
    gaps = []
    for message in wanted:
        translation = catalog.get(message.id, message.context)
        if translation is None or not _is_translated(translation):
            gaps.append(_forms(message.id)[0])
    coverage = Coverage(translated=len(wanted) - len(gaps), total=len(wanted), gaps=tuple(gaps))
    _COVERAGE_MEMO[(directory, locale)] = (modified, coverage)
    return coverage


def tenant_coverage(
    directory: Path,
    locales: Sequence[str],
    default_locale: str,
    *,
    catalogue_texts: Iterable[CoverageRow] = (),
) -> list[LocaleCoverage]:
    """Per enabled locale: the UI strings' coverage and, if rows are given, the catalogue's.

    ``catalogue_texts`` is how the tenant's catalogue (service names and
    descriptions, kept in its bundle) reports itself: any number of
    ``(locale, translated, total, gaps)`` rows, added up per locale. Rows
    for locales the tenant does not enable are not reported.
    """
    catalogue: dict[str, Coverage] = {}
    for locale, translated, total, gaps in catalogue_texts:
        earlier = catalogue.get(locale, Coverage(0, 0, ()))
        catalogue[locale] = Coverage(
            translated=earlier.translated + translated,
            total=earlier.total + total,
            gaps=earlier.gaps + tuple(gaps),
        )
    return [
        LocaleCoverage(
            locale=locale,
            is_default=locale == default_locale,
            ui=ui_coverage(directory, locale),
            catalogue=catalogue.get(locale),
        )
        for locale in locales
    ]


# --- messages, for tenants' own wording (asan.translations) ---------------------


@dataclass(frozen=True, slots=True)
class UiMessage:
    """One message of ``messages.pot`` that a tenant may reword."""

    id: str
    in_templates: bool
    """Shown by a Jinja2 template: ``%(name)s`` placeholders, ``%`` written ``%%``."""
    in_code: bool
    """Shown by Python code: ``{name}`` placeholders (``str.format``)."""


@dataclass(frozen=True, slots=True)
class PlaceholderMismatch:
    """How a text's placeholders disagree with its message id's (all empty: they agree)."""

    missing: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    malformed: bool = False

    def __bool__(self) -> bool:
        return bool(self.missing or self.unknown or self.malformed)


def _template_messages(path: Path) -> tuple[UiMessage, ...]:
    messages = []
    for message in _read(path):
        if not message.id or message.pluralizable or message.context:
            continue  # plural and contextual messages stay with the platform's catalogues
        files = [location for location, _ in message.locations]
        messages.append(
            UiMessage(
                id=str(message.id),
                in_templates=any(name.endswith(".html") for name in files),
                in_code=any(name.endswith(".py") for name in files) or not files,
            )
        )
    return tuple(messages)


_MESSAGES_MEMO: dict[tuple[Path, int], tuple[UiMessage, ...]] = {}


def ui_messages(directory: Path) -> tuple[UiMessage, ...]:
    """The singular messages of ``messages.pot``, in its order (read again when it changes)."""
    path = directory / TEMPLATE_FILE
    key = (path, _template_modified(directory))
    if key not in _MESSAGES_MEMO:
        _MESSAGES_MEMO.clear()
        _MESSAGES_MEMO[key] = _template_messages(path)
    return _MESSAGES_MEMO[key]


_TRANSLATIONS_MEMO: dict[tuple[Path, str], tuple[int | None, Mapping[str, str]]] = {}
"""(directory, locale) -> the catalogue's mtime when read, and its translations."""


def platform_translations(directory: Path, locale: str) -> Mapping[str, str]:
    """Message id -> the platform's own translation in ``locale`` (translated ones only).

    Read again only when the locale's catalogue changed.
    """
    path = catalogue_path(directory, locale)
    modified = _modified(path)
    memo = _TRANSLATIONS_MEMO.get((directory, locale))
    if memo is not None and memo[0] == modified:
        return memo[1]
    translated: Mapping[str, str] = MappingProxyType(
        {}
        if modified is None
        else {
            str(message.id): str(message.string)
            for message in _read(path, locale)
            if message.id and not message.pluralizable and _is_translated(message)
        }
    )
    _TRANSLATIONS_MEMO[(directory, locale)] = (modified, translated)
    return translated


_PERCENT_FIELD = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*\d*(?:\.\d+)?(?P<kind>[a-zA-Z%])")


def _percent_placeholders(text: str) -> set[str] | None:
    """The ``%(name)s`` fields of a Jinja2 message, or None if a ``%`` is not a field."""
    names: set[str] = set()
    position = 0
    while (start := text.find("%", position)) != -1:
        match = _PERCENT_FIELD.match(text, start)
        if match is None:
            return None
        if match.group("kind") != "%":
            if not match.group("name"):
                return None  # positional fields cannot be filled by name
            names.add(match.group("name"))
        position = match.end()
    return names


def placeholder_mismatch(message: UiMessage, text: str) -> PlaceholderMismatch:
    """Whether ``text`` can stand for ``message`` wherever it is shown.

    The same rules as the translators' (:func:`placeholder_problems`): the
    same ``{name}`` fields in Python messages, the same ``%(name)s`` fields in
    templates, where a lone ``%`` must be written ``%%``.
    """
    missing: set[str] = set()
    unknown: set[str] = set()
    malformed = False
    styles = []
    if message.in_code and "{" in message.id:
        styles.append(_placeholders)
    if message.in_templates:
        styles.append(_percent_placeholders)
    for fields_of in styles:
        expected = fields_of(message.id)
        if expected is None:
            continue  # the id's braces or percent signs are text, not fields
        found = fields_of(text)
        if found is None:
            malformed = True
            continue
        missing |= expected - found
        unknown |= found - expected
    return PlaceholderMismatch(tuple(sorted(missing)), tuple(sorted(unknown)), malformed)
