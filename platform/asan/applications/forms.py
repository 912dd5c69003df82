"""Checking what an applicant sent against the service's form and the applicant rules.

Every problem is collected, with the field and the rule it broke, so a form
can mark all its wrong fields at once; nothing is written until none is left.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from asan.errors import ValidationError
from asan.i18n import N_, gettext, use_locale

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")

APPLICANT_FIELDS: tuple[tuple[str, bool], ...] = (
    ("name", True),
    ("national_id", True),
    ("email", False),
    ("phone", False),
)
"""Who applies: (field, required). Contact details are how the citizen hears of the outcome."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    rule: str
    template: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def message_in(self, locale: str | None) -> str:
        if locale is None:
            return self.template.format(field=self.field, **self.params)
        with use_locale(locale):
            return gettext(self.template, field=self.field, **self.params)


class ApplicationInvalidError(ValidationError):
    code = "application_invalid"

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = list(problems)
        super().__init__(self._render(None), detail=self._detail(None))

    def _render(self, locale: str | None) -> str:
        first = self.problems[0].message_in(locale)
        more = len(self.problems) - 1
        if not more:
            return first
        if locale is None:
            return f"{first} (and {more} more)"
        with use_locale(locale):
            return gettext("{first} (and {count} more)", first=first, count=more)

    def _detail(self, locale: str | None) -> dict[str, Any]:
        return {
            "errors": [
                {"field": p.field, "rule": p.rule, "message": p.message_in(locale)}
                for p in self.problems
            ]
        }

    def message_in(self, locale: str) -> str:
        return self._render(locale)

    def detail_in(self, locale: str) -> dict[str, Any]:
        return self._detail(locale)


def _limit(rule: str, raw: str, today: date) -> date:
    return today if raw == "today" else date.fromisoformat(raw)


def _check_text(name: str, value: str, rules: Mapping[str, Any]) -> list[FieldProblem]:
    problems = []
    if "min_length" in rules and len(value) < rules["min_length"]:
        problems.append(
            FieldProblem(
                name,
                "min_length",
                N_("{field}: at least {count} characters"),
                {"count": rules["min_length"]},
            )
        )
    if "max_length" in rules and len(value) > rules["max_length"]:
        problems.append(
            FieldProblem(
                name,
                "max_length",
                N_("{field}: at most {count} characters"),
                {"count": rules["max_length"]},
            )
        )
    if "pattern" in rules and not re.fullmatch(rules["pattern"], value):
        problems.append(FieldProblem(name, "pattern", N_("{field}: not in the expected format")))
    return problems


def _check_field(
    spec: Mapping[str, Any], value: object, today: date
) -> tuple[object, list[FieldProblem]]:
    """The value as stored, and what is wrong with it."""
    name = str(spec["name"])
    kind = spec["type"]
    rules: Mapping[str, Any] = spec.get("rules", {})
    if kind in ("text", "textarea", "email", "phone"):
        if not isinstance(value, str):
            return value, [FieldProblem(name, "type", N_("{field}: must be text"))]
        value = value.strip()
        if kind == "email" and not _EMAIL.match(value):
            return value, [FieldProblem(name, "type", N_("{field}: not an email address"))]
        if kind == "phone" and not _PHONE.match(value):
            return value, [FieldProblem(name, "type", N_("{field}: not a phone number"))]
        return value, _check_text(name, value, rules)
    if kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return value, [FieldProblem(name, "type", N_("{field}: must be a number"))]
        if "min" in rules and value < rules["min"]:
            return value, [
                FieldProblem(name, "min", N_("{field}: at least {limit}"), {"limit": rules["min"]})
            ]
        if "max" in rules and value > rules["max"]:
            return value, [
                FieldProblem(name, "max", N_("{field}: at most {limit}"), {"limit": rules["max"]})
            ]
        return value, []
    if kind == "date":
        try:
            day = date.fromisoformat(str(value)) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None:
            return value, [FieldProblem(name, "type", N_("{field}: must be a date YYYY-MM-DD"))]
        if "not_before" in rules and day < _limit("not_before", rules["not_before"], today):
            return value, [
                FieldProblem(
                    name,
                    "not_before",
                    N_("{field}: must not be before {limit}"),
                    {"limit": _limit("not_before", rules["not_before"], today).isoformat()},
                )
            ]
        if "not_after" in rules and day > _limit("not_after", rules["not_after"], today):
            return value, [
                FieldProblem(
                    name,
                    "not_after",
                    N_("{field}: must not be after {limit}"),
                    {"limit": _limit("not_after", rules["not_after"], today).isoformat()},
                )
            ]
        return day.isoformat(), []
    if kind == "select":
        allowed = [option["value"] for option in spec.get("options", [])]
        if value not in allowed:
            return value, [
                FieldProblem(
                    name,
                    "options",
                    N_("{field}: one of {allowed}"),
                    {"allowed": ", ".join(allowed)},
                )
            ]
        return value, []
    if kind == "boolean":
        if not isinstance(value, bool):
            return value, [FieldProblem(name, "type", N_("{field}: must be true or false"))]
        return value, []
    return value, [FieldProblem(name, "type", N_("{field}: this field type is not supported"))]


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_form(
    form: Sequence[Mapping[str, Any]], answers: object, *, today: date
) -> tuple[dict[str, Any], list[FieldProblem]]:
    if not isinstance(answers, Mapping):
        return {}, [FieldProblem("form", "type", N_("{field}: must be an object of answers"))]
    problems: list[FieldProblem] = []
    known = {str(spec["name"]) for spec in form}
    for name in answers:
        if name not in known:
            problems.append(
                FieldProblem(
                    f"form.{name}", "unknown", N_("{field}: not a field of this service's form")
                )
            )
    clean: dict[str, Any] = {}
    for spec in form:
        name = str(spec["name"])
        value = answers.get(name)
        if _missing(value):
            if spec.get("required"):
                problems.append(FieldProblem(f"form.{name}", "required", N_("{field}: required")))
            continue
        stored, found = _check_field({**spec, "name": f"form.{name}"}, value, today)
        problems += found
        clean[name] = stored
    return clean, problems


def check_applicant(applicant: object) -> tuple[dict[str, str], list[FieldProblem]]:
    if not isinstance(applicant, Mapping):
        return {}, [
            FieldProblem(
                "applicant", "type", N_("{field}: must be an object with name, national_id")
            )
        ]
    problems: list[FieldProblem] = []
    allowed = {name for name, _ in APPLICANT_FIELDS}
    for key in applicant:
        if key not in allowed:
            problems.append(
                FieldProblem(f"applicant.{key}", "unknown", N_("{field}: not an applicant field"))
            )
    clean: dict[str, str] = {}
    rules = {
        "name": {"type": "text", "rules": {"min_length": 2, "max_length": 200}},
        "national_id": {"type": "text", "rules": {"min_length": 4, "max_length": 64}},
        "email": {"type": "email", "rules": {"max_length": 254}},
        "phone": {"type": "phone", "rules": {}},
    }
    for name, required in APPLICANT_FIELDS:
        value = applicant.get(name)
        if _missing(value):
            if required:
                problems.append(
                    FieldProblem(f"applicant.{name}", "required", N_("{field}: required"))
                )
            continue
        stored, found = _check_field(
            {"name": f"applicant.{name}", **rules[name]}, value, date.today()
        )
        problems += found
        clean[name] = str(stored)
    return clean, problems
