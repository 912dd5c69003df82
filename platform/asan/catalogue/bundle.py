"""The catalogue's exchange format: ``catalogue.yaml`` and the JSON API bodies.

One entry of the file and one API request body have the same shape, so a
service exported from one tenant can be posted to another. Everything is
checked before anything is written, and every problem is reported with its
file, path and reason. Checked entries come back in canonical form (key order,
locale order, two-decimal fees), which is what makes export -> import ->
export give identical output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from asan.errors import ValidationError
from asan.i18n import N_, gettext, ngettext, use_locale

CHANNELS = ("service_centre", "mobile_unit", "online")
TIME_UNITS = ("minutes", "hours", "days", "working_days")
FIELD_TYPES = ("text", "textarea", "date", "number", "email", "phone", "select", "boolean")
AGENCY_KINDS = ("public", "private")
STATUSES = ("draft", "published", "retired")
RULES_BY_TYPE: dict[str, frozenset[str]] = {
    "text": frozenset({"min_length", "max_length", "pattern"}),
    "textarea": frozenset({"min_length", "max_length"}),
    "number": frozenset({"min", "max"}),
    "date": frozenset({"not_before", "not_after"}),
    "email": frozenset(),
    "phone": frozenset({"pattern"}),
    "select": frozenset(),
    "boolean": frozenset(),
}
SERVICE_TEXTS = ("name", "description", "eligibility")

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_DATE = re.compile(r"^(today|\d{4}-\d{2}-\d{2})$")


MAX_FILE_ENTRIES = 200_000
"""Values a catalogue file may hold once its YAML aliases are followed (a real one: ~20,000)."""


def _entries_beyond(data: Any, limit: int) -> bool:
    """Whether ``data`` holds more than ``limit`` values, counting every alias again.

    Aliases are legal YAML (and PyYAML writes them for repeated values), but a
    few nested ones make a small file expand into millions of values for the
    checker to walk; counting stops as soon as the limit is passed.
    """
    pending, seen = [data], 0
    while pending:
        value = pending.pop()
        seen += 1
        if seen > limit:
            return True
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


@dataclass(frozen=True, slots=True)
class CatalogueProblem:
    file: str
    path: str
    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return self.reason_in(None)

    def reason_in(self, locale: str | None) -> str:
        """The reason in ``locale`` (English for None: files, logs and the CLI)."""
        if locale is None:
            return self.template.format(**self.params) if self.params else self.template
        with use_locale(locale):
            return gettext(self.template, **self.params)

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.path}: {self.reason}"
            if self.path
            else f"{self.file}: {self.reason}"
        )


class CatalogueError(ValidationError):
    """Every problem found, none written."""

    code = "catalogue_invalid"

    def __init__(self, problems: Sequence[CatalogueProblem]) -> None:
        self.problems = list(problems)
        super().__init__(self._render(None), detail=self._detail(None))

    def _render(self, locale: str | None) -> str:
        first = self.problems[0]
        where = f"{first.file}: {first.path}" if first.path else first.file
        reason = first.reason_in(locale)
        more = len(self.problems) - 1
        if locale is None:
            return f"{where}: {reason}" + (f" (and {more} more)" if more else "")
        with use_locale(locale):
            if not more:
                return gettext("{where}: {reason}", where=where, reason=reason)
            return ngettext(
                "{where}: {reason} (and {n} more problem)",
                "{where}: {reason} (and {n} more problems)",
                more,
                where=where,
                reason=reason,
            )

    def _detail(self, locale: str | None) -> dict[str, Any]:
        return {
            "errors": [
                {"file": p.file, "path": p.path, "reason": p.reason_in(locale)}
                for p in self.problems
            ]
        }

    def message_in(self, locale: str) -> str:
        return self._render(locale)

    def detail_in(self, locale: str) -> dict[str, Any]:
        return self._detail(locale)


@dataclass(frozen=True, slots=True)
class TenantLanguages:
    """What entries are checked against: the tenant's locales and currency."""

    locales: tuple[str, ...]
    currency: str

    @property
    def default_locale(self) -> str:
        return self.locales[0]


@dataclass(slots=True)
class CatalogueFile:
    agencies: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)


class Checker:
    """Collects problems for one source (a file, or an API body)."""

    def __init__(self, source: str, languages: TenantLanguages) -> None:
        self.source = source
        self.languages = languages
        self.problems: list[CatalogueProblem] = []

    def problem(self, path: str, template: str, **params: Any) -> None:
        """``template``: an English message id marked with ``N_`` (translated for the API)."""
        # An API body is checked at the root: ".code" reads better as "code".
        self.problems.append(CatalogueProblem(self.source, path.lstrip("."), template, params))

    def raise_if_any(self) -> None:
        if self.problems:
            raise CatalogueError(self.problems)

    # --- pieces ----------------------------------------------------------------

    def keys(self, path: str, value: Mapping[str, Any], allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                self.problem(
                    f"{path}.{key}" if path else str(key),
                    N_("unknown key (expected one of: {allowed})"),
                    allowed=", ".join(allowed),
                )

    def code(self, path: str, value: object) -> str:
        if not isinstance(value, str) or not _CODE.match(value):
            self.problem(path, N_("must be 2-64 lowercase letters, digits or hyphens"))
            return str(value)
        return value

    def text(self, path: str, value: object, *, complete: bool) -> dict[str, str]:
        """A per-locale text. ``complete``: every enabled locale must be there."""
        if not isinstance(value, dict):
            self.problem(path, N_("must be a mapping of locale to text, such as en: ..."))
            return {}
        result: dict[str, str] = {}
        for locale, text in value.items():
            if locale not in self.languages.locales:
                self.problem(
                    f"{path}.{locale}",
                    N_("unknown locale (this tenant uses {locales})"),
                    locales=", ".join(self.languages.locales),
                )
            elif not isinstance(text, str):
                self.problem(
                    f"{path}.{locale}", N_("must be text, not {kind}"), kind=type(text).__name__
                )
            elif text.strip():
                result[locale] = text.strip()
        wanted = self.languages.locales if complete else (self.languages.default_locale,)
        for locale in wanted:
            if locale not in result:
                self.problem(f"{path}.{locale}", N_("missing"))
        return {locale: result[locale] for locale in self.languages.locales if locale in result}

    # --- entries ---------------------------------------------------------------

    def agency(self, path: str, value: object) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(path, N_("must be a mapping"))
            return {}
        self.keys(path, value, ("code", "kind", "name", "description", "contact"))
        kind = value.get("kind")
        if kind not in AGENCY_KINDS:
            self.problem(f"{path}.kind", N_("must be public or private"))
        contact = value.get("contact", {})
        if not isinstance(contact, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in contact.items()
        ):
            self.problem(f"{path}.contact", N_("must be a mapping of text, such as website: ..."))
            contact = {}
        return {
            "code": self.code(f"{path}.code", value.get("code")),
            "kind": kind,
            "name": self.text(f"{path}.name", value.get("name"), complete=True),
            "description": self.text(
                f"{path}.description", value.get("description"), complete=True
            ),
            "contact": {key: contact[key] for key in sorted(contact)},
        }

    def category(self, path: str, value: object) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(path, N_("must be a mapping"))
            return {}
        self.keys(path, value, ("code", "order", "name"))
        order = value.get("order")
        if not isinstance(order, int) or isinstance(order, bool):
            self.problem(f"{path}.order", N_("must be a whole number"))
        return {
            "code": self.code(f"{path}.code", value.get("code")),
            "order": order,
            "name": self.text(f"{path}.name", value.get("name"), complete=True),
        }

    def service(self, path: str, value: object, *, with_code: bool = True) -> dict[str, Any]:
        """A full service entry; texts complete unless its status is draft."""
        if not isinstance(value, dict):
            self.problem(path, N_("must be a mapping"))
            return {}
        allowed = [
            "code",
            "status",
            "category",
            "agency",
            *SERVICE_TEXTS,
            "required_documents",
            "fee",
            "processing_time",
            "channels",
            "form",
        ]
        self.keys(path, value, allowed if with_code else allowed[1:])
        status = value.get("status", "published")
        if status not in STATUSES:
            self.problem(
                f"{path}.status", N_("must be one of {allowed}"), allowed=", ".join(STATUSES)
            )
        complete = status != "draft"
        entry: dict[str, Any] = {}
        if with_code:
            entry["code"] = self.code(f"{path}.code", value.get("code"))
        entry["status"] = status
        entry["category"] = self.code(f"{path}.category", value.get("category"))
        entry["agency"] = self.code(f"{path}.agency", value.get("agency"))
        for key in SERVICE_TEXTS:
            entry[key] = self.text(f"{path}.{key}", value.get(key), complete=complete)
        documents = value.get("required_documents", [])
        if not isinstance(documents, list):
            self.problem(f"{path}.required_documents", N_("must be a list of texts"))
            documents = []
        entry["required_documents"] = [
            self.text(f"{path}.required_documents[{i}]", item, complete=complete)
            for i, item in enumerate(documents)
        ]
        entry["fee"] = self.fee(f"{path}.fee", value.get("fee"))
        entry["processing_time"] = self.processing_time(
            f"{path}.processing_time", value.get("processing_time")
        )
        entry["channels"] = self.channels(f"{path}.channels", value.get("channels"))
        form = value.get("form", [])
        if "online" in entry["channels"] and not form:
            self.problem(f"{path}.form", N_("required: the service is offered online"))
        entry["form"] = self.form(f"{path}.form", form, complete=complete)
        return entry

    def fee(self, path: str, value: object) -> dict[str, str]:
        if not isinstance(value, dict):
            self.problem(
                path,
                N_("must have an amount (text such as '5.00') and a currency; free is '0.00'"),
            )
            return {}
        self.keys(path, value, ("amount", "currency"))
        raw = value.get("amount")
        amount = "0.00"
        if isinstance(raw, float | bool) or not isinstance(raw, str | int):
            self.problem(f"{path}.amount", N_("must be a decimal written as text, such as '5.00'"))
        else:
            try:
                number = Decimal(str(raw))
                if number < 0 or number != number.quantize(Decimal("0.01")):
                    raise InvalidOperation
                amount = f"{number:.2f}"
            except InvalidOperation:
                self.problem(
                    f"{path}.amount",
                    N_("{value!r} is not an amount of money with at most 2 decimals"),
                    value=raw,
                )
        currency = value.get("currency")
        if currency != self.languages.currency:
            self.problem(
                f"{path}.currency",
                N_("{value!r}: fees are in the tenant's currency, {currency}"),
                value=currency,
                currency=self.languages.currency,
            )
        return {"amount": amount, "currency": self.languages.currency}

    def processing_time(self, path: str, value: object) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(path, N_("must have a value and a unit, such as 10 working_days"))
            return {}
        self.keys(path, value, ("value", "unit"))
        amount = value.get("value")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            self.problem(f"{path}.value", N_("must be a whole number above zero"))
        unit = value.get("unit")
        if unit not in TIME_UNITS:
            self.problem(
                f"{path}.unit", N_("must be one of {allowed}"), allowed=", ".join(TIME_UNITS)
            )
        return {"value": amount, "unit": unit}

    def channels(self, path: str, value: object) -> list[str]:
        if not isinstance(value, list) or not value:
            self.problem(
                path, N_("must be a non-empty list of {allowed}"), allowed=", ".join(CHANNELS)
            )
            return []
        for channel in value:
            if channel not in CHANNELS:
                self.problem(
                    path,
                    N_("unknown channel {value!r} (one of {allowed})"),
                    value=channel,
                    allowed=", ".join(CHANNELS),
                )
        if len(set(map(str, value))) != len(value):
            self.problem(path, N_("lists a channel twice"))
        return [channel for channel in CHANNELS if channel in value]

    def form(self, path: str, value: object, *, complete: bool) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            self.problem(path, N_("must be a list of fields"))
            return []
        fields: list[dict[str, Any]] = []
        names: set[str] = set()
        for index, item in enumerate(value):
            where = f"{path}[{index}]"
            if not isinstance(item, dict):
                self.problem(where, N_("must be a mapping"))
                continue
            self.keys(where, item, ("name", "type", "label", "required", "rules", "options"))
            name = item.get("name")
            if not isinstance(name, str) or not _NAME.match(name):
                self.problem(f"{where}.name", N_("must be snake_case"))
            elif name in names:
                self.problem(f"{where}.name", N_("{value!r} appears twice in the form"), value=name)
            names.add(str(name))
            kind = item.get("type")
            if kind not in FIELD_TYPES:
                self.problem(
                    f"{where}.type", N_("must be one of {allowed}"), allowed=", ".join(FIELD_TYPES)
                )
            required = item.get("required", False)
            if not isinstance(required, bool):
                self.problem(f"{where}.required", N_("must be true or false"))
            rules = self.rules(f"{where}.rules", item.get("rules", {}), str(kind))
            entry: dict[str, Any] = {
                "name": name,
                "type": kind,
                "label": self.text(f"{where}.label", item.get("label"), complete=complete),
                "required": required,
            }
            if rules:
                entry["rules"] = rules
            if kind == "select":
                entry["options"] = self.options(
                    f"{where}.options", item.get("options"), complete=complete
                )
            elif "options" in item:
                self.problem(f"{where}.options", N_("only select fields have options"))
            fields.append(entry)
        return fields

    def rules(self, path: str, value: object, kind: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(path, N_("must be a mapping"))
            return {}
        allowed = RULES_BY_TYPE.get(kind, frozenset())
        if not all(isinstance(key, str) for key in value):
            self.problem(path, N_("rule names must be text"))
            return {}
        for key, rule in value.items():
            where = f"{path}.{key}"
            if key not in allowed:
                self.problem(
                    where,
                    N_("not a rule for a {kind} field (allowed: {allowed})"),
                    kind=kind,
                    allowed=", ".join(sorted(allowed)) or "-",
                )
            elif key in ("min_length", "max_length") and (
                not isinstance(rule, int) or isinstance(rule, bool) or rule < 0
            ):
                self.problem(where, N_("must be a whole number"))
            elif key in ("min", "max") and (
                not isinstance(rule, int | float) or isinstance(rule, bool)
            ):
                self.problem(where, N_("must be a number"))
            elif key in ("not_before", "not_after") and (
                not isinstance(rule, str) or not _DATE.match(rule)
            ):
                self.problem(where, N_("must be 'today' or a date YYYY-MM-DD"))
            elif key == "pattern":
                try:
                    re.compile(str(rule))
                except re.error as exc:
                    self.problem(
                        where, N_("not a valid regular expression: {error}"), error=str(exc)
                    )
        return {key: value[key] for key in sorted(value)}

    def options(self, path: str, value: object, *, complete: bool) -> list[dict[str, Any]]:
        if not isinstance(value, list) or len(value) < 2:
            self.problem(path, N_("a select field needs at least 2 options"))
            return []
        options: list[dict[str, Any]] = []
        seen: set[str] = set()
        for index, option in enumerate(value):
            where = f"{path}[{index}]"
            if not isinstance(option, dict):
                self.problem(where, N_("must have a value and a label"))
                continue
            self.keys(where, option, ("value", "label"))
            option_value = option.get("value")
            if not isinstance(option_value, str) or not _NAME.match(option_value):
                self.problem(f"{where}.value", N_("must be snake_case"))
            elif option_value in seen:
                self.problem(f"{where}.value", N_("{value!r} appears twice"), value=option_value)
            seen.add(str(option_value))
            options.append(
                {
                    "value": option_value,
                    "label": self.text(f"{where}.label", option.get("label"), complete=complete),
                }
            )
        return options


def _list(checker: Checker, data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        checker.problem(key, N_("must be a list"))
        return []
    return value


def read_catalogue(
    text: str,
    *,
    source: str,
    languages: TenantLanguages,
    known_agencies: Iterable[str] = (),
    known_categories: Iterable[str] = (),
) -> CatalogueFile:
    """Parse and check a whole file; raise :class:`CatalogueError` with every problem.

    ``known_*``: codes already in the tenant's catalogue, which the file may
    refer to without defining (a bundle file defines all it uses).
    """
    checker = Checker(source, languages)
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        checker.problem(
            where, N_("not valid YAML: {error}"), error=str(getattr(exc, "problem", exc))
        )
        checker.raise_if_any()
    if not isinstance(data, dict):
        checker.problem("", N_("must be a mapping with agencies, categories and services"))
        checker.raise_if_any()
    if _entries_beyond(data, MAX_FILE_ENTRIES):
        checker.problem("", N_("holds more than {limit} values; split it"), limit=MAX_FILE_ENTRIES)
        checker.raise_if_any()
    checker.keys("", data, ("agencies", "categories", "services"))
    result = CatalogueFile()
    for kind, read, target in (
        ("agencies", checker.agency, result.agencies),
        ("categories", checker.category, result.categories),
        ("services", checker.service, result.services),
    ):
        seen: set[str] = set()
        for index, value in enumerate(_list(checker, data, kind)):
            code = value.get("code") if isinstance(value, dict) else None
            code = code if isinstance(code, str) and code else None
            path = f"{kind}[{code}]" if code else f"{kind}[{index}]"
            entry = read(path, value)
            if code is not None:
                if code in seen:
                    checker.problem(f"{path}.code", N_("duplicate code {value!r}"), value=code)
                seen.add(code)
            target.append(entry)
    agencies = {a["code"] for a in result.agencies} | set(known_agencies)
    categories = {c["code"] for c in result.categories} | set(known_categories)
    for entry in result.services:
        path = f"services[{entry.get('code')}]"
        if entry.get("agency") not in agencies:
            checker.problem(
                f"{path}.agency", N_("unknown agency {value!r}"), value=entry.get("agency")
            )
        if entry.get("category") not in categories:
            checker.problem(
                f"{path}.category", N_("unknown category {value!r}"), value=entry.get("category")
            )
    checker.raise_if_any()
    return result


def read_catalogue_text(path: Path) -> str:
    """A catalogue file's text; a file that cannot be read is a problem of the file."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError([CatalogueProblem(str(path), "", f"cannot be read: {exc}")]) from exc


def read_catalogue_file(path: Path, **kwargs: Any) -> CatalogueFile:
    return read_catalogue(read_catalogue_text(path), source=str(path), **kwargs)


def service_texts(
    content: Mapping[str, Any], prefix: str = ""
) -> Iterator[tuple[str, Mapping[str, str]]]:
    """Every translatable text of a service, with its path: the one walk over them."""
    at = f"{prefix}." if prefix else ""
    for key in SERVICE_TEXTS:
        yield f"{at}{key}", content.get(key, {})
    for index, document in enumerate(content.get("required_documents", [])):
        yield f"{at}required_documents[{index}]", document
    for index, form_field in enumerate(content.get("form", [])):
        yield f"{at}form[{index}].label", form_field.get("label", {})
        for number, option in enumerate(form_field.get("options", [])):
            yield f"{at}form[{index}].options[{number}].label", option.get("label", {})


def missing_texts(content: Mapping[str, Any], locales: Sequence[str]) -> list[str]:
    """Paths of texts a service lacks in any of ``locales`` (what blocks publishing)."""
    return [
        f"{path}.{locale}"
        for path, text in service_texts(content)
        for locale in locales
        if not text.get(locale)
    ]


def missing_by_locale(content: Mapping[str, Any], locales: Sequence[str]) -> dict[str, list[str]]:
    """Per locale, the paths of the texts a service lacks in it (``name``, ``form[0].label``)."""
    return {
        locale: [path for path, text in service_texts(content) if not text.get(locale)]
        for locale in locales
    }


def dump_catalogue(catalogue: CatalogueFile) -> str:
    """Canonical YAML: the same catalogue always gives the same text."""
    data = {
        "agencies": catalogue.agencies,
        "categories": catalogue.categories,
        "services": catalogue.services,
    }
    return yaml.safe_dump(
        data, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False
    )
