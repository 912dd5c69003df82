"""The export format, defined once: which files, which fields, how values are written.

The fields of every file are listed here by hand rather than taken from the
models: the format is a promise to other instances (perhaps of another
version), so a new column must be a decision (export it and bump
``FORMAT_VERSION``, or leave it out with the value an import gives it), not a
side effect. ``tests/tenancy/test_portability.py`` fails for a column of a
tenant-owned model that is in neither list.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn, Protocol, cast

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Integer,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    inspect,
)
from sqlalchemy.sql.schema import Column

from asan.applications.models import Application, ApplicationAccess, ApplicationEvent, DeliveryJob
from asan.audit.models import AuditEvent
from asan.catalogue.models import Agency, Category, Service, ServiceVersion
from asan.db import Base, UTCDateTime
from asan.errors import ValidationError
from asan.identity.models import StaffAccount
from asan.tenancy.models import Tenant
from asan.translations import UiTextOverride

FORMAT = "asan-tenant-export"
FORMAT_VERSION = 1
"""Bump when a file or a field is added, removed or changes meaning."""

MANIFEST_FILE = "manifest.json"
TENANT_FILE = "tenant.jsonl"
BUNDLE_FOLDER = "bundle"
"""``bundle/<code>/`` is an ordinary tenant bundle (``asan tenant load`` reads it)."""
BUNDLE_FILES = ("tenant.toml", "catalogue.yaml", "policy.csv")
OPTIONAL_BUNDLE_FILES = frozenset({"policy.csv"})
"""A tenant that never had a policy exports none, as a bundle may have none."""

UNUSABLE_PASSWORD = "!imported: no password; set one before this account can sign in"  # noqa: S105
"""What an imported staff account gets instead of a hash: no password verifies
against it (it is not an Argon2 hash), so the account cannot sign in until it is
given a new password. Password hashes never leave an instance."""

TENANT_CODE = re.compile(r"^[a-z][a-z0-9]{1,31}$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
_CHOICES = re.compile(r"^\s*(\w+)\s+IN\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class RowKind:
    """One JSON Lines file: the rows of one table of the tenant."""

    file: str
    model: type[Base]
    fields: tuple[str, ...]
    """Exported columns (``tenant_id`` never is: every row is the tenant's)."""
    order_by: tuple[str, ...]
    """A stable order that means the same on every database (times and UUIDs,
    never text, whose order depends on the database's collation)."""
    omitted: Mapping[str, Any] = field(default_factory=dict)
    """Columns deliberately not exported, with the value an imported row gets."""

    @property
    def table(self) -> str:
        return str(table_of(self.model).name)


def table_of(model: type[Base]) -> Table:
    return cast(Table, inspect(model).local_table)


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


TENANT_KIND = RowKind(
    TENANT_FILE, Tenant, _names("id code status created_at updated_at"), order_by=("id",)
)
"""The registry row; its other columns come from ``bundle/<code>/tenant.toml``."""
TENANT_FROM_BUNDLE = frozenset(
    {"names", "default_locale", "locales", "timezone", "currency", "plugin_settings"}
)
TENANT_DERIVED = frozenset({"bundle_digest"})
"""Computed again from the bundle on import, as ``asan tenant load`` does."""

ROW_KINDS: tuple[RowKind, ...] = (
    RowKind(
        "agencies.jsonl",
        Agency,
        _names("id code kind name description contact connector created_at updated_at"),
        order_by=("created_at", "id"),
    ),
    RowKind(
        "categories.jsonl",
        Category,
        _names("id code position name created_at updated_at"),
        order_by=("created_at", "id"),
    ),
    RowKind(
        "services.jsonl",
        Service,
        _names("id code status published_version draft_version created_at updated_at"),
        order_by=("created_at", "id"),
    ),
    RowKind(
        "service_versions.jsonl",
        ServiceVersion,
        _names(
            "id service_id number state content created_by created_at published_by published_at"
        ),
        order_by=("service_id", "number"),
    ),
    RowKind(
        "staff_accounts.jsonl",
        StaffAccount,
        _names("id username display_name active agency created_at updated_at last_login_at"),
        order_by=("created_at", "id"),
        # The console language is a person's preference on this instance; they choose again.
        omitted={
            "password_hash": UNUSABLE_PASSWORD,
            "failed_logins": 0,
            "locked_until": None,
            "locale": None,
        },
    ),
    RowKind(
        "applications.jsonl",
        Application,
        _names(
            "id reference idempotency_key request_digest service service_version agency channel"
            " locale status applicant form submitted_by submitted_at deadline_at closed_at"
            " agency_reference updated_at"
        ),
        order_by=("submitted_at", "id"),
    ),
    RowKind(
        "application_events.jsonl",
        ApplicationEvent,
        _names("id application_id at kind status_from status_to actor note detail"),
        order_by=("application_id", "at", "id"),
    ),
    RowKind(
        "application_access.jsonl",
        ApplicationAccess,
        _names("id application_id actor at personal_data request_id"),
        order_by=("application_id", "at", "id"),
    ),
    RowKind(
        "delivery_jobs.jsonl",
        DeliveryJob,
        _names(
            "id application_id kind state attempts next_attempt_at last_error payload"
            " created_at finished_at"
        ),
        order_by=("created_at", "id"),
        # A lease belongs to a worker of the old instance: the job is due again at once.
        omitted={"locked_by": None, "locked_until": None},
    ),
    RowKind(
        "ui_text_overrides.jsonl",
        UiTextOverride,
        _names("id locale message_id text updated_by updated_at"),
        order_by=("locale", "message_id"),
    ),
    RowKind(
        "audit_events.jsonl",
        AuditEvent,
        _names("id occurred_at actor action detail"),
        order_by=("occurred_at", "id"),
    ),
)
"""In the order an import writes them: a table after the tables it refers to."""

NOT_EXPORTED = {
    "api_tokens": "credentials of machines: re-issue them on the new instance",
    "policy_lines": "carried as the bundle's policy.csv",
    "policy_revisions": "a per-instance counter that tells processes to reload; starts afresh",
    "catalogue_revisions": "a per-instance counter that tells processes to reload; starts afresh",
    "ui_text_revisions": "a per-instance counter that tells processes to reload; starts afresh",
}
"""Tenant-owned tables without a file of their own, and why."""


class TransferProgress(Protocol):
    """How a long export or import reports how far it is (the CLI draws a bar)."""

    def start(self, total: int) -> None: ...

    def advance(self, rows: int, current: str) -> None: ...


# --- problems ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PortabilityProblem:
    file: str
    line: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file and self.line else self.file
        return ": ".join(part for part in (where, self.field, self.reason) if part)


class PortabilityError(ValidationError):
    """An export or import refused, with every problem found; nothing was written."""

    code = "tenant_transfer_refused"

    def __init__(self, problems: Sequence[PortabilityProblem]) -> None:
        if not problems:
            raise ValueError("a PortabilityError needs at least one problem")
        self.problems = list(problems)
        more = len(self.problems) - 1
        super().__init__(
            str(self.problems[0]) + (f" (and {more} more)" if more else ""),
            detail={
                "errors": [
                    {"file": p.file, "line": p.line, "field": p.field, "reason": p.reason}
                    for p in self.problems
                ]
            },
        )


def refused(reason: str, *, file: str = "", line: int | None = None, field: str = "") -> NoReturn:
    raise PortabilityError([PortabilityProblem(file, line, field, reason)])


# --- values --------------------------------------------------------------------------


def format_time(value: datetime) -> str:
    """ISO 8601 in UTC, always with microseconds: one spelling per instant."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_line(row: Mapping[str, Any]) -> bytes:
    """One JSON Lines row: keys sorted, no spaces, UTF-8; the same row gives the same bytes."""
    text = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What one field of a row must be, read from its column."""

    name: str
    type: str
    """``uuid``, ``time``, ``integer``, ``boolean``, ``text`` or ``object``."""
    nullable: bool
    max_length: int | None
    choices: tuple[str, ...] | None

    def encode(self, value: Any) -> Any:
        if value is None:
            return None
        if self.type == "uuid":
            return str(value)
        if self.type == "time":
            return format_time(value)
        return value

    def decode(self, value: Any) -> tuple[Any, str | None]:
        """The stored value, or the reason it cannot be one."""
        if value is None:
            return None, None if self.nullable else "must not be null"
        if self.type == "uuid":
            if isinstance(value, str):
                try:
                    parsed = uuid.UUID(value)
                except ValueError:
                    pass
                else:
                    if str(parsed) == value:
                        return parsed, None
            return None, f"{value!r} is not a UUID"
        if self.type == "time":
            if isinstance(value, str) and _TIME.match(value):
                try:
                    return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC), None
                except ValueError:
                    pass
            return None, f"{value!r} is not a UTC time like 2025-01-31T09:30:00.000000Z"
        if self.type == "integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return value, None
            return None, f"{value!r} is not an integer"
        if self.type == "boolean":
            return (
                (value, None)
                if isinstance(value, bool)
                else (None, f"{value!r} is not true or false")
            )
        if self.type == "object":
            return (value, None) if isinstance(value, dict) else (None, "must be a JSON object")
        if not isinstance(value, str):
            return None, f"{value!r} is not a string"
        if self.max_length is not None and len(value) > self.max_length:
            return None, f"is longer than {self.max_length} characters"
        if self.choices is not None and value not in self.choices:
            return None, f"{value!r} is not one of {', '.join(self.choices)}"
        return value, None


def _type_of(column: Column[Any]) -> str:
    kind = column.type
    for name, types in (
        ("uuid", Uuid),
        ("time", UTCDateTime),
        ("boolean", Boolean),
        ("integer", Integer),
        ("object", JSON),
        ("text", String),
    ):
        if isinstance(kind, types):
            return name
    raise TypeError(f"{column}: no export encoding for {kind!r}")


def _choices(model: type[Base]) -> dict[str, tuple[str, ...]]:
    """``column IN ('a', 'b')`` check constraints, as the values each column allows."""
    found: dict[str, tuple[str, ...]] = {}
    for constraint in table_of(model).constraints:
        if isinstance(constraint, CheckConstraint):
            match = _CHOICES.match(str(constraint.sqltext))
            if match:
                found[match.group(1)] = tuple(re.findall(r"'([^']*)'", match.group(2)))
    return found


def field_specs(kind: RowKind) -> tuple[FieldSpec, ...]:
    columns = inspect(kind.model).columns
    choices = _choices(kind.model)
    return tuple(
        FieldSpec(
            name=name,
            type=_type_of(columns[name]),
            nullable=bool(columns[name].nullable),
            max_length=getattr(columns[name].type, "length", None),
            choices=choices.get(name),
        )
        for name in kind.fields
    )


def unique_keys(kind: RowKind) -> list[tuple[str, ...]]:
    """The primary key and unique constraints, without ``tenant_id`` (one tenant's rows)."""
    table = table_of(kind.model)
    keys = [tuple(c.name for c in table.primary_key.columns if c.name != "tenant_id")]
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            names = tuple(c.name for c in constraint.columns if c.name != "tenant_id")
            if names not in keys:
                keys.append(names)
    return keys


def references(kind: RowKind) -> list[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    """Foreign keys to other exported tables: (local columns, table, its columns)."""
    found = []
    for constraint in table_of(kind.model).foreign_key_constraints:
        if constraint.referred_table.name == "tenants":
            continue
        pairs = [
            (element.parent.name, element.column.name)
            for element in constraint.elements
            if element.parent.name != "tenant_id"
        ]
        found.append(
            (
                tuple(local for local, _ in pairs),
                str(constraint.referred_table.name),
                tuple(remote for _, remote in pairs),
            )
        )
    return found
