"""Writing everything of one tenant to a folder (``asan tenant export CODE DIR``).

The tenant's rows are read in one transaction of its own scope, so the export
can hold no other tenant's row (the ORM guards and, on PostgreSQL, row-level
security see to that) and, as a snapshot (``REPEATABLE READ`` on PostgreSQL,
one read transaction on SQLite), no event of an application that is not in it.
Files are written into a hidden sibling folder that is renamed into place at
the end: a folder at the target path is always a whole export.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import tomllib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import asan
from asan import audit
from asan.access.store import stored_policy_text
from asan.catalogue.bundle import TenantLanguages, dump_catalogue
from asan.catalogue.service import CatalogueService
from asan.db import Database, RegistryScope, TenantScope, mostly_reading, utcnow
from asan.db.migrate import current_revisions
from asan.errors import TenantNotFoundError
from asan.i18n import N_
from asan.portability._format import (
    BUNDLE_FOLDER,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_FILE,
    ROW_KINDS,
    TENANT_KIND,
    RowKind,
    TransferProgress,
    encode_line,
    field_specs,
    format_time,
    refused,
)
from asan.portability._toml import dump_toml
from asan.tenancy import Tenant, read_bundles

_BATCH = 1000

TOML_HEADER = (
    "Written by `asan tenant export`: the tenant's registry entry as a bundle.\n"
    "The first locale is the default. Plugin secrets are references (env:, secret:),\n"
    "never values: the new instance needs the same variables or secret files."
)


@dataclass(frozen=True, slots=True)
class ExportReport:
    code: str
    directory: Path
    status: str
    """The tenant's status when exported: an active tenant kept changing afterwards."""
    rows: Mapping[str, int]
    """Rows per JSON Lines file."""


@dataclass(slots=True)
class _Written:
    sha256: str
    size: int
    rows: int | None = None


def _check_target(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        refused("exists and is not an empty folder: choose a new one", file=str(target))


def _tenant_document(tenant: Tenant) -> dict[str, Any]:
    """The registry row as ``tenant.toml`` content, every key in a fixed order."""
    locales = list(tenant.locales)
    names = {locale: tenant.names[locale] for locale in locales if locale in tenant.names}
    document: dict[str, Any] = {
        "code": tenant.code,
        "locales": locales,
        "timezone": tenant.timezone,
        "currency": tenant.currency,
        "hostnames": sorted(host.hostname for host in tenant.hostnames),
        "name": names,
    }
    if tenant.plugin_settings:
        document["plugins"] = _sorted_deep(tenant.plugin_settings)
    return document


def _sorted_deep(value: Any) -> Any:
    """JSON columns keep key order on SQLite, not on PostgreSQL: sort so both agree."""
    if isinstance(value, Mapping):
        return {key: _sorted_deep(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_deep(item) for item in value]
    return value


class _Folder:
    """The staging folder: every file written through here is hashed and counted."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, _Written] = {}

    def write_text(self, name: str, text: str) -> None:
        data = text.encode("utf-8")
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        self.files[name] = _Written(hashlib.sha256(data).hexdigest(), len(data))

    async def write_rows(
        self,
        session: AsyncSession,
        kind: RowKind,
        tenant: Tenant,
        progress: TransferProgress | None,
    ) -> int:
        specs = field_specs(kind)
        model: Any = kind.model
        query = (
            select(*(getattr(model, spec.name) for spec in specs))
            .where(model.tenant_id == tenant.id)
            .order_by(*(getattr(model, name) for name in kind.order_by))
            .execution_options(yield_per=_BATCH)
        )
        digest, size, rows = hashlib.sha256(), 0, 0
        with (self.root / kind.file).open("wb") as file:
            result = await session.stream(query)
            async for partition in result.partitions(_BATCH):
                for row in partition:
                    values = row._mapping
                    line = encode_line({s.name: s.encode(values[s.name]) for s in specs})
                    file.write(line)
                    digest.update(line)
                    size += len(line)
                rows += len(partition)
                if progress is not None:
                    progress.advance(len(partition), kind.file)
            file.flush()
            os.fsync(file.fileno())
        self.files[kind.file] = _Written(digest.hexdigest(), size, rows)
        return rows


@asynccontextmanager
async def _snapshot(database: Database, scope: TenantScope) -> AsyncIterator[AsyncSession]:
    """A read-only transaction that sees the tenant as of one moment."""
    session = database.session(scope)
    try:
        with mostly_reading():
            async with session.begin():
                # A test's database is one connection already inside a transaction,
                # whose isolation cannot change; a real engine starts a new one.
                if database.dialect_name == "postgresql" and isinstance(database.bind, AsyncEngine):
                    await session.connection(
                        execution_options={"isolation_level": "REPEATABLE READ"}
                    )
                yield session
    finally:
        await session.close()


async def _registry_row(database: Database, code: str) -> Tenant:
    async with database.transaction(RegistryScope()) as session:
        tenant = (await session.scalars(select(Tenant).where(Tenant.code == code))).one_or_none()
    if tenant is None:
        raise TenantNotFoundError(
            N_("no tenant with code {code!r}"), code=code, detail={"code": code}
        )
    return tenant


async def schema_revision(database: Database) -> tuple[str, ...]:
    async with database.system_connection() as connection:
        return tuple(sorted(await connection.run_sync(current_revisions)))


async def export_tenant(
    database: Database,
    code: str,
    target: Path,
    *,
    actor: str,
    progress: TransferProgress | None = None,
) -> ExportReport:
    """Write everything of tenant ``code`` to ``target`` (new, or an empty folder).

    The export is recorded in the tenant's audit trail (it holds every
    applicant's personal data) just before the folder appears; the event is
    not in the export itself, which shows the tenant as it was read.
    """
    _check_target(target)
    directory = os.path.abspath(target)  # noqa: ASYNC240 - a getcwd, no waiting
    tenant = await _registry_row(database, code)
    schema = await schema_revision(database)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    folder = _Folder(staging)
    try:
        rows, catalogue_text, policy_text = await _write_rows(database, tenant, folder, progress)
        _write_bundle(tenant, folder, catalogue_text, policy_text)
        folder.write_text(TENANT_KIND.file, _tenant_line(tenant))
        folder.files[TENANT_KIND.file].rows = 1
        folder.write_text(MANIFEST_FILE, _manifest(tenant.code, schema, folder.files))
        async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
            audit.record(
                session,
                actor=actor,
                action="tenant.exported",
                detail={"directory": directory, "rows": sum(rows.values())},
            )
        _move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExportReport(tenant.code, target, tenant.status, rows)


async def _write_rows(
    database: Database, tenant: Tenant, folder: _Folder, progress: TransferProgress | None
) -> tuple[dict[str, int], str, str | None]:
    """Every row file, and the catalogue and policy texts of the bundle, from one snapshot."""
    rows: dict[str, int] = {}
    async with _snapshot(database, TenantScope(tenant.id, tenant.code)) as session:
        if progress is not None:
            total = 0
            for kind in ROW_KINDS:
                model: Any = kind.model
                query = select(func.count()).select_from(model).where(model.tenant_id == tenant.id)
                total += await session.scalar(query) or 0
            progress.start(total)
        for kind in ROW_KINDS:
            rows[kind.file] = await folder.write_rows(session, kind, tenant, progress)
        catalogue = await CatalogueService(
            session,
            tenant_id=tenant.id,
            languages=TenantLanguages(tuple(tenant.locales), tenant.currency),
            actor="export",
        ).export_catalogue()
        policy_text = await stored_policy_text(session, tenant.id)
    return rows, dump_catalogue(catalogue), policy_text


def _write_bundle(
    tenant: Tenant, folder: _Folder, catalogue_text: str, policy_text: str | None
) -> None:
    bundle = f"{BUNDLE_FOLDER}/{tenant.code}"
    document = _tenant_document(tenant)
    toml_text = dump_toml(document, header=TOML_HEADER)
    if tomllib.loads(toml_text) != document:
        raise RuntimeError(f"tenant.toml of {tenant.code} does not read back as written")
    folder.write_text(f"{bundle}/tenant.toml", toml_text)
    folder.write_text(f"{bundle}/catalogue.yaml", catalogue_text)
    if policy_text is not None:
        folder.write_text(f"{bundle}/policy.csv", policy_text)
    # The bundle must be one that import (and ``asan tenant load``) accepts.
    read_bundles([folder.root / bundle])


def _tenant_line(tenant: Tenant) -> str:
    specs = field_specs(TENANT_KIND)
    return encode_line({s.name: s.encode(getattr(tenant, s.name)) for s in specs}).decode()


def _manifest(code: str, schema: tuple[str, ...], files: Mapping[str, _Written]) -> str:
    listed: dict[str, dict[str, Any]] = {}
    for name, written in sorted(files.items()):
        entry: dict[str, Any] = {"bytes": written.size, "sha256": written.sha256}
        if written.rows is not None:
            entry["rows"] = written.rows
        listed[name] = entry
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "platform_version": asan.__version__,
        "schema_revision": list(schema),
        "tenant": code,
        "exported_at": format_time(utcnow()),
        "files": listed,
    }
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename the finished folder to ``target`` (replacing it only if it is an empty folder)."""
    try:
        os.rename(staging, target)
    except OSError as exc:
        refused(f"cannot be created: {exc.strerror or exc}", file=str(target))
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
