"""Reading and checking tenant bundles (``tenants/<code>/tenant.toml``).

A bundle is data a tenant admin or the central team edits by hand, so every
problem is reported with its file and key, all at once, before anything is
written.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies

from asan.errors import ValidationError
from asan.names import HOSTNAME

BUNDLE_FILE = "tenant.toml"

_CODE = re.compile(r"^[a-z][a-z0-9]{1,31}$")
_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
_KNOWN_KEYS = {"code", "name", "locales", "timezone", "currency", "hostnames", "plugins"}


@dataclass(frozen=True, slots=True)
class BundleProblem:
    file: Path
    key: str
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.key}: {self.reason}" if self.key else f"{self.file}: {self.reason}"
        )


class BundleError(ValidationError):
    code = "bundle_invalid"

    def __init__(self, problems: list[BundleProblem]) -> None:
        count = len(problems)
        first = str(problems[0]) if problems else "no problems"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(
            f"{first}{more}",
            detail={
                "errors": [
                    {"file": str(p.file), "key": p.key, "reason": p.reason} for p in problems
                ]
            },
        )
        self.problems = problems


@dataclass(frozen=True, slots=True)
class TenantBundle:
    code: str
    names: Mapping[str, str]
    locales: tuple[str, ...]
    timezone: str
    currency: str
    hostnames: tuple[str, ...]
    plugins: Mapping[str, Any]
    directory: Path = field(compare=False)

    @property
    def default_locale(self) -> str:
        """The first locale listed is the tenant's default."""
        return self.locales[0]

    def digest(self) -> str:
        """A stable fingerprint of the content (not of the file's formatting)."""
        content = {
            "code": self.code,
            "names": dict(self.names),
            "locales": list(self.locales),
            "timezone": self.timezone,
            "currency": self.currency,
            "hostnames": sorted(self.hostnames),
            "plugins": self.plugins,
        }
        encoded = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(encoded).hexdigest()


def _check_locale(value: object) -> str | None:
    if not isinstance(value, str) or not _LOCALE.match(value):
        return f"{value!r} is not a locale code like 'en' or 'pt_BR'"
    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError):
        return f"unknown locale {value!r}"
    return None


class _Reader:
    """Collects every problem in one bundle instead of stopping at the first."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self.problems: list[BundleProblem] = []

    def problem(self, key: str, reason: str) -> None:
        self.problems.append(BundleProblem(self.file, key, reason))

    def read(self, directory: Path) -> TenantBundle | None:
        try:
            data = tomllib.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.problem("", f"missing {BUNDLE_FILE}")
            return None
        except UnicodeDecodeError:
            self.problem("", "not UTF-8 text")
            return None
        except tomllib.TOMLDecodeError as exc:
            self.problem("", f"not valid TOML: {exc}")
            return None

        for key in sorted(set(data) - _KNOWN_KEYS):
            self.problem(key, f"unknown key (expected one of: {', '.join(sorted(_KNOWN_KEYS))})")

        code = data.get("code")
        if not isinstance(code, str) or not _CODE.match(code):
            self.problem("code", "must be 2-32 lowercase letters or digits, starting with a letter")
        elif code != directory.name:
            self.problem("code", f"is {code!r} but the bundle's folder is {directory.name!r}")

        locales = self._locales(data.get("locales"))
        names = self._names(data.get("name"), locales)
        timezone = self._timezone(data.get("timezone"))
        currency = data.get("currency")
        if not isinstance(currency, str) or currency not in list_currencies():
            self.problem("currency", f"{currency!r} is not an ISO 4217 currency code")
        hostnames = self._hostnames(data.get("hostnames", []))
        plugins = data.get("plugins", {})
        if not isinstance(plugins, dict):
            self.problem("plugins", "must be a table")

        if self.problems:
            return None
        return TenantBundle(
            code=str(code),
            names=names,
            locales=locales,
            timezone=str(timezone),
            currency=str(currency),
            hostnames=hostnames,
            plugins=plugins,
            directory=directory,
        )

    def _locales(self, value: object) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            self.problem("locales", "must be a non-empty list; the first is the default")
            return ()
        valid: list[str] = []
        for index, locale in enumerate(value):
            reason = _check_locale(locale)
            if reason:
                self.problem(f"locales[{index}]", reason)
            elif locale in valid:
                self.problem("locales", f"lists {locale!r} twice")
            else:
                valid.append(locale)
        # Only the valid ones: a bad locale is reported once, not again under name.
        return tuple(valid)

    def _names(self, value: object, locales: tuple[str, ...]) -> dict[str, str]:
        if not isinstance(value, dict):
            self.problem("name", "must be a table of the tenant's name per locale")
            return {}
        for locale in locales:
            text = value.get(locale)
            if not isinstance(text, str) or not text.strip():
                self.problem(f"name.{locale}", "missing: every enabled locale needs the name")
        for locale in sorted(set(value) - set(locales)):
            self.problem(f"name.{locale}", "locale is not in 'locales'")
        return {locale: str(value[locale]).strip() for locale in locales if locale in value}

    def _timezone(self, value: object) -> str | None:
        if not isinstance(value, str) or value not in zoneinfo.available_timezones():
            self.problem("timezone", f"{value!r} is not an IANA time zone like 'Asia/Baku'")
            return None
        return value

    def _hostnames(self, value: object) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.problem("hostnames", "must be a list of host names")
            return ()
        result: list[str] = []
        for index, hostname in enumerate(value):
            if not isinstance(hostname, str) or "." not in hostname or not HOSTNAME.match(hostname):
                self.problem(f"hostnames[{index}]", f"{hostname!r} is not a lowercase host name")
            else:
                result.append(hostname)
        if len(set(result)) != len(result):
            self.problem("hostnames", "lists a host name twice")
        return tuple(result)


def read_bundle(directory: Path) -> TenantBundle:
    """Read one bundle folder; raise :class:`BundleError` listing every problem."""
    reader = _Reader(directory / BUNDLE_FILE)
    bundle = reader.read(directory)
    if bundle is None:
        raise BundleError(reader.problems)
    return bundle


def bundle_directories(path: Path) -> list[Path]:
    """``path`` itself if it is a bundle, else every bundle folder directly inside it."""
    if (path / BUNDLE_FILE).is_file():
        return [path]
    if not path.is_dir():
        raise BundleError([BundleProblem(path, "", "no such folder")])
    found = sorted(child for child in path.iterdir() if (child / BUNDLE_FILE).is_file())
    if not found:
        raise BundleError([BundleProblem(path, "", f"no {BUNDLE_FILE} in it or its sub-folders")])
    return found


def read_bundles(directories: Iterable[Path]) -> list[TenantBundle]:
    """Read several bundles and check them against each other; all problems at once."""
    bundles: list[TenantBundle] = []
    problems: list[BundleProblem] = []
    for directory in directories:
        try:
            bundles.append(read_bundle(directory))
        except BundleError as exc:
            problems.extend(exc.problems)
    owners: dict[str, str] = {}
    codes: set[str] = set()
    for bundle in bundles:
        file = bundle.directory / BUNDLE_FILE
        if bundle.code in codes:
            problems.append(BundleProblem(file, "code", f"{bundle.code!r} appears in two bundles"))
        codes.add(bundle.code)
        for hostname in bundle.hostnames:
            if hostname in owners:
                problems.append(
                    BundleProblem(
                        file, "hostnames", f"{hostname!r} is also claimed by {owners[hostname]!r}"
                    )
                )
            owners[hostname] = bundle.code
    if problems:
        raise BundleError(problems)
    return bundles
