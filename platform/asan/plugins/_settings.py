"""Plugin settings: declared by each plugin, checked per tenant, secrets by reference.

A plugin declares its settings as a tuple of :class:`Setting`. A tenant's
bundle gives values for them; they are checked with every problem named
(``plugins.connectors.tax-service.timeout_seconds: must be a number``) before
anything is written. Secrets are never values: a secret setting holds a
reference, ``env:NAME`` (an environment variable of the process) or
``secret:NAME/KEY`` (a file under ``ASAN_SECRETS_DIR``, which is where a
Kubernetes Secret is mounted), and is read only when the plugin is built.
Shown to people, a secret is only "set" or "not set".

References belong to their tenant: ``secret:NAME/KEY`` is read from
``ASAN_SECRETS_DIR/<tenant code>/NAME/KEY``, and ``env:NAME`` may only name
a variable ``ASAN_SECRET_<TENANT CODE>_...``. Otherwise one tenant's settings
could send another tenant's secret, or the instance's own (database URL,
secret key), to a server of its choosing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SettingType = Literal["text", "url", "integer", "number", "boolean", "choice"]

_ENV_REF = re.compile(r"^env:([A-Z_][A-Z0-9_]*)$")
_SECRET_REF = re.compile(r"^secret:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)/([-._a-zA-Z0-9]+)$")
_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    type: SettingType
    help: str
    required: bool = False
    default: Any = None
    secret: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class SettingsProblem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class SecretUnavailableError(Exception):
    """A referenced secret is missing where the reference points."""


def env_prefix(tenant: str) -> str:
    """The only environment variables ``tenant``'s plugin settings may name."""
    return f"ASAN_SECRET_{tenant.upper()}_"


def foreign_reference(value: object, tenant: str) -> str | None:
    """Why ``value`` reaches outside ``tenant``'s own secrets, or None."""
    env = _ENV_REF.match(value) if isinstance(value, str) else None
    if env and not env.group(1).startswith(env_prefix(tenant)):
        return (
            f"env:{env.group(1)} is not one of tenant {tenant}'s variables "
            f"({env_prefix(tenant)}...)"
        )
    return None


def is_secret_reference(value: object) -> bool:
    return isinstance(value, str) and bool(_ENV_REF.match(value) or _SECRET_REF.match(value))


def _check_value(setting: Setting, value: object) -> str | None:
    """Why ``value`` does not fit ``setting``, or None."""
    if setting.secret:
        if not is_secret_reference(value):
            return (
                "is a secret: give a reference, env:NAME or secret:SECRET-NAME/KEY, "
                "never the value itself"
            )
        return None
    kind = setting.type
    if kind in ("text", "url", "choice") and not isinstance(value, str):
        return "must be text"
    if kind == "url" and not _URL.match(str(value)):
        return f"{value!r} is not an http(s) URL"
    if kind == "choice" and value not in setting.choices:
        return f"{value!r} is not one of {', '.join(setting.choices)}"
    if kind == "boolean" and not isinstance(value, bool):
        return "must be true or false"
    if kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        return "must be a whole number"
    if kind == "number" and (not isinstance(value, int | float) or isinstance(value, bool)):
        return "must be a number"
    if kind in ("integer", "number") and isinstance(value, int | float):
        if setting.minimum is not None and value < setting.minimum:
            return f"must be at least {setting.minimum:g}"
        if setting.maximum is not None and value > setting.maximum:
            return f"must be at most {setting.maximum:g}"
    return None


def check_settings(
    schema: tuple[Setting, ...], raw: Mapping[str, Any], *, where: str, tenant: str | None = None
) -> tuple[dict[str, Any], list[SettingsProblem]]:
    """``raw`` checked against ``schema``: the values with defaults filled in, and every problem.

    With ``tenant``, secret references outside that tenant's own are problems too.
    """
    problems: list[SettingsProblem] = []
    known = {setting.name: setting for setting in schema}
    for key in raw:
        if key not in known:
            allowed = ", ".join(sorted(known)) or "none"
            problems.append(
                SettingsProblem(f"{where}.{key}", f"unknown setting (this plugin has: {allowed})")
            )
    values: dict[str, Any] = {}
    for setting in schema:
        path = f"{where}.{setting.name}"
        if setting.name not in raw:
            if setting.required:
                problems.append(SettingsProblem(path, f"required: {setting.help}"))
            elif setting.default is not None:
                values[setting.name] = setting.default
            continue
        value = raw[setting.name]
        reason = _check_value(setting, value) or (
            foreign_reference(value, tenant) if setting.secret and tenant else None
        )
        if reason:
            problems.append(SettingsProblem(path, reason))
        else:
            values[setting.name] = float(value) if setting.type == "number" else value
    return values, problems


def resolve_secret(
    reference: str, *, tenant: str, secrets_dir: Path, environ: Mapping[str, str]
) -> str:
    """The secret ``reference`` names, looked up among ``tenant``'s own only."""
    foreign = foreign_reference(reference, tenant)
    if foreign:
        raise SecretUnavailableError(foreign)
    env = _ENV_REF.match(reference)
    if env:
        name = env.group(1)
        if name not in environ:
            raise SecretUnavailableError(f"environment variable {name} is not set")
        return environ[name]
    secret = _SECRET_REF.match(reference)
    if not secret:
        raise SecretUnavailableError(f"{reference!r} is not a secret reference")
    path = secrets_dir / tenant / secret.group(1) / secret.group(3)
    if not path.is_file():
        raise SecretUnavailableError(f"secret file {path} does not exist")
    return path.read_text(encoding="utf-8").strip()


def resolve_settings(
    schema: tuple[Setting, ...],
    values: Mapping[str, Any],
    *,
    tenant: str,
    secrets_dir: Path,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Checked values with every secret reference replaced by the secret, for the factory."""
    environ = os.environ if environ is None else environ
    secret_names = {setting.name for setting in schema if setting.secret}
    return {
        key: (
            resolve_secret(value, tenant=tenant, secrets_dir=secrets_dir, environ=environ)
            if key in secret_names
            else value
        )
        for key, value in values.items()
    }


def describe_settings(schema: tuple[Setting, ...], values: Mapping[str, Any]) -> dict[str, Any]:
    """Values fit to show a person: a secret is ``"set"`` or ``"not set"``, never its reference."""
    shown: dict[str, Any] = {}
    for setting in schema:
        if setting.secret:
            shown[setting.name] = "set" if setting.name in values else "not set"
        elif setting.name in values:
            shown[setting.name] = values[setting.name]
    return shown
