"""Loading an export into another instance (``asan tenant import DIR``).

Everything is checked before the first write: the manifest, every file's
checksum and row count, every row's fields, unique keys and references
between files, and the bundle through the same readers ``asan tenant load``
uses. Then the tenant is written in one platform-scope transaction (the
registry row and every row of the tenant, each with its explicit
``tenant_id``, as ``TenantRegistry.load`` does); on any problem nothing is.

Rows keep their ids, so applications keep their timelines and jobs, and the
tenant keeps its id: an applicant's secret is derived from the tenant's id and
the application's (with ``ASAN_SECRET_KEY``), so a new id would void every
secret citizens hold. An id already present here is therefore refused, not
replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from asan.access.loading import read_bundle_policies
from asan.authz import TenantPolicy
from asan.catalogue.bundle import CatalogueFile, TenantLanguages, dump_catalogue
from asan.catalogue.loading import CATALOGUE_FILE, read_bundle_catalogues
from asan.catalogue.models import CatalogueRevision
from asan.catalogue.service import CatalogueService
from asan.db import Database, PlatformScope, bump_counter
from asan.identity.policy_models import PolicyLine, PolicyRevision
from asan.plugins import PluginCatalogue
from asan.plugins.loading import check_bundle_plugins
from asan.portability._export import schema_revision
from asan.portability._format import (
    BUNDLE_FILES,
    BUNDLE_FOLDER,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_FILE,
    OPTIONAL_BUNDLE_FILES,
    ROW_KINDS,
    TENANT_CODE,
    TENANT_KIND,
    FieldSpec,
    PortabilityError,
    PortabilityProblem,
    RowKind,
    TransferProgress,
    field_specs,
    references,
    refused,
    unique_keys,
)
from asan.tenancy import Tenant, TenantBundle, TenantHostname, read_bundles
from asan.tenancy.bundle import BUNDLE_FILE
from asan.tenancy.hosts import HostKind, classify_host
from asan.translations.models import UiTextRevision

_BATCH = 500
_MAX_PROBLEMS = 100
"""Past this many, a file is hopeless: stop listing and say so."""


@dataclass(frozen=True, slots=True)
class ImportReport:
    code: str
    tenant_id: uuid.UUID
    status: str
    rows: Mapping[str, int]
    platform_version: str
    """Of the instance that exported."""
    schema_revision: tuple[str, ...]
    exported_at: str
    staff_accounts: int
    """Accounts imported without a password: each needs one set before signing in."""


@dataclass(slots=True)
class _Problems:
    found: list[PortabilityProblem] = field(default_factory=list)

    def add(self, file: Path | str, line: int | None, field: str, reason: str) -> None:
        if len(self.found) < _MAX_PROBLEMS:
            self.found.append(PortabilityProblem(str(file), line, field, reason))
        elif len(self.found) == _MAX_PROBLEMS:
            self.found.append(
                PortabilityProblem(str(file), None, "", "too many problems; stopped listing")
            )

    def raise_if_any(self) -> None:
        if self.found:
            raise PortabilityError(self.found)


@dataclass(frozen=True, slots=True)
class CheckedExport:
    """An export folder that passed every check that needs no database."""

    directory: Path
    manifest: Mapping[str, Any]
    bundle: TenantBundle
    catalogue_text: str
    catalogue: CatalogueFile | None
    policy: TenantPolicy | None
    tenant_row: Mapping[str, Any]

    @property
    def code(self) -> str:
        return self.bundle.code


def _read_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as file:
        yield from enumerate(file, start=1)


def _decode_line(
    raw: bytes, specs: tuple[FieldSpec, ...], path: Path, number: int, problems: _Problems
) -> tuple[dict[str, Any], bool]:
    """One row as the values to store, and whether it is whole.

    A row with problems still gives the fields that are fine, so that rows
    referring to it are not reported as dangling too.
    """
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        problems.add(path, number, "", "not UTF-8 text")
        return {}, False
    except json.JSONDecodeError as exc:
        problems.add(path, number, "", f"not JSON: {exc.msg} at column {exc.colno}")
        return {}, False
    if not isinstance(data, dict):
        problems.add(path, number, "", "must be a JSON object")
        return {}, False
    names = {spec.name for spec in specs}
    unknown = sorted(set(data) - names)
    for name in unknown:
        problems.add(path, number, name, "unknown field")
    row: dict[str, Any] = {}
    for spec in specs:
        if spec.name not in data:
            problems.add(path, number, spec.name, "missing")
            continue
        value, reason = spec.decode(data[spec.name])
        if reason is not None:
            problems.add(path, number, spec.name, reason)
            continue
        row[spec.name] = value
    return row, not unknown and len(row) == len(specs)


def _read_manifest(directory: Path, problems: _Problems) -> dict[str, Any]:
    path = directory / MANIFEST_FILE
    if not directory.is_dir():
        refused("no such folder", file=str(directory))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        refused(f"no {MANIFEST_FILE}: not a tenant export", file=str(directory))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        refused(f"not JSON: {exc}", file=str(path))
    if not isinstance(manifest, dict):
        refused("must be a JSON object", file=str(path))
    if manifest.get("format") != FORMAT:
        refused(f"is not a {FORMAT!r} manifest", file=str(path), field="format")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        refused(
            f"{version!r}: this platform reads format {FORMAT_VERSION} only"
            + (
                " (the export is newer: upgrade this instance)"
                if isinstance(version, int) and version > FORMAT_VERSION
                else ""
            ),
            file=str(path),
            field="format_version",
        )
    code = manifest.get("tenant")
    if not isinstance(code, str) or not TENANT_CODE.match(code):
        refused(f"{code!r} is not a tenant code", file=str(path), field="tenant")
    for key, kind in (("platform_version", str), ("exported_at", str), ("schema_revision", list)):
        if not isinstance(manifest.get(key), kind):
            problems.add(path, None, key, f"missing or not a {kind.__name__}")
    files = manifest.get("files")
    if not isinstance(files, dict):
        refused("must be an object of file name to checksum", file=str(path), field="files")
    return manifest


def _expected_files(code: str) -> tuple[set[str], set[str]]:
    """(every file an export of ``code`` may hold, those it must hold)."""
    bundle = {f"{BUNDLE_FOLDER}/{code}/{name}" for name in BUNDLE_FILES}
    optional = {f"{BUNDLE_FOLDER}/{code}/{name}" for name in OPTIONAL_BUNDLE_FILES}
    rows = {TENANT_KIND.file, *(kind.file for kind in ROW_KINDS)}
    return bundle | rows, (bundle - optional) | rows


def _check_files(directory: Path, manifest: Mapping[str, Any], problems: _Problems) -> None:
    """The files are the listed ones, whole and unchanged (checksums, sizes, row counts)."""
    manifest_path = directory / MANIFEST_FILE
    files: Mapping[str, Any] = manifest["files"]
    allowed, required = _expected_files(manifest["tenant"])
    for name in sorted(required - set(files)):
        problems.add(manifest_path, None, f"files.{name}", "missing from the manifest")
    on_disk = {
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.is_file() and path.name != MANIFEST_FILE
    }
    for name in sorted(on_disk - set(files)):
        problems.add(directory / name, None, "", "not listed in the manifest")
    for name, entry in sorted(files.items()):
        where = f"files.{name}"
        if name not in allowed:
            problems.add(manifest_path, None, where, "not a file of this format")
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            problems.add(manifest_path, None, where, "must be an object with its sha256")
            continue
        path = directory / name
        if not path.is_file():
            problems.add(path, None, "", "listed in the manifest but missing")
            continue
        digest, size, lines = hashlib.sha256(), 0, 0
        with path.open("rb") as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
                lines += chunk.count(b"\n")
        if digest.hexdigest() != entry["sha256"]:
            problems.add(path, None, "", "checksum differs from the manifest: the file was changed")
        elif entry.get("bytes") is not None and entry.get("bytes") != size:
            problems.add(path, None, "", f"has {size} bytes, the manifest says {entry['bytes']}")
        if name.endswith(".jsonl") and entry.get("rows") != lines:
            problems.add(path, None, "", f"has {lines} rows, the manifest says {entry.get('rows')}")


def _check_bundle(
    directory: Path, code: str, base_domain: str, plugins: PluginCatalogue | None
) -> tuple[TenantBundle, CatalogueFile | None, TenantPolicy | None]:
    """The bundle, through the readers ``asan tenant load`` uses (their errors as they are)."""
    bundles = read_bundles([directory / BUNDLE_FOLDER / code])
    catalogues = read_bundle_catalogues(bundles)
    policies = read_bundle_policies(bundles)
    check_bundle_plugins(
        bundles,
        {owner: {a["code"] for a in entries.agencies} for owner, entries in catalogues.items()},
        plugins,
    )
    bundle = bundles[0]
    problems = _Problems()
    for host in bundle.hostnames:
        if classify_host(host, base_domain)[0] is not HostKind.OWN_HOSTNAME:
            problems.add(
                bundle.directory / BUNDLE_FILE,
                None,
                "hostnames",
                f"{host!r} is under this instance's base domain {base_domain!r}, "
                "where tenants are reached by their code",
            )
    problems.raise_if_any()
    return bundle, catalogues.get(code), policies.get(code)


class _RowChecker:
    """Checks every row file, keeping only the keys that other files refer to."""

    def __init__(self, directory: Path, problems: _Problems) -> None:
        self.directory = directory
        self.problems = problems
        self.keys: dict[tuple[str, tuple[str, ...]], set[tuple[Any, ...]]] = {}

    def check(self, kind: RowKind, progress: TransferProgress | None) -> list[dict[str, Any]]:
        """Check ``kind``'s file; the rows themselves are kept for the tenant row only."""
        path = self.directory / kind.file
        specs = field_specs(kind)
        uniques = {key: set[tuple[Any, ...]]() for key in unique_keys(kind)}
        refs = references(kind)
        kept: list[dict[str, Any]] = []
        count = 0
        for number, raw in _read_lines(path):
            count += 1
            row, whole = _decode_line(raw, specs, path, number, self.problems)
            if progress is not None and number % _BATCH == 0:
                progress.advance(_BATCH, f"checking {kind.file}")
            for key, seen in uniques.items():
                if not set(key) <= set(row):
                    continue
                value = tuple(row[name] for name in key)
                if value in seen:
                    self.problems.add(path, number, ",".join(key), f"{_show(value)} appears twice")
                seen.add(value)
            for local, table, remote in refs:
                if not set(local) <= set(row):
                    continue
                value = tuple(row[name] for name in local)
                if value not in self.keys.get((table, remote), set()):
                    self.problems.add(
                        path, number, ",".join(local), f"no {_show(value)} in {table}.jsonl"
                    )
            if kind is TENANT_KIND and whole:
                kept.append(row)
        if progress is not None:
            progress.advance(count % _BATCH, f"checking {kind.file}")
        for key, seen in uniques.items():
            self.keys[(kind.table, key)] = seen
        return kept

    def check_versions(self) -> None:
        """A service's published and draft version numbers name versions that exist."""
        versions = self.keys.get(("service_versions", ("service_id", "number")), set())
        path = self.directory / "services.jsonl"
        for number, raw in _read_lines(path):
            row = json.loads(raw)
            for field_name in ("published_version", "draft_version"):
                wanted = row.get(field_name)
                if wanted is not None and (uuid.UUID(row["id"]), wanted) not in versions:
                    self.problems.add(
                        path, number, field_name, f"no version {wanted} in service_versions.jsonl"
                    )


def _show(value: tuple[Any, ...]) -> str:
    return ", ".join(repr(str(part)) for part in value)


def check_export(
    directory: Path,
    *,
    base_domain: str,
    plugins: PluginCatalogue | None = None,
    progress: TransferProgress | None = None,
) -> CheckedExport:
    """Everything about an export folder that can be checked without the database."""
    problems = _Problems()
    manifest = _read_manifest(directory, problems)
    _check_files(directory, manifest, problems)
    problems.raise_if_any()  # the readers below would only repeat what a changed file breaks
    code = str(manifest["tenant"])
    bundle, catalogue, policy = _check_bundle(directory, code, base_domain, plugins)
    if progress is not None:
        listed = manifest["files"]
        checking = sum(int(entry.get("rows", 0)) for entry in listed.values())
        progress.start(checking + sum(int(listed[kind.file]["rows"]) for kind in ROW_KINDS))
    checker = _RowChecker(directory, problems)
    tenant_rows = checker.check(TENANT_KIND, progress)
    for kind in ROW_KINDS:
        checker.check(kind, progress)
    problems.raise_if_any()
    checker.check_versions()
    tenant_path = directory / TENANT_KIND.file
    if len(tenant_rows) != 1:
        problems.add(tenant_path, None, "", "must hold exactly one row")
    elif tenant_rows[0]["code"] != code:
        problems.add(tenant_path, 1, "code", f"is {tenant_rows[0]['code']!r}, not {code!r}")
    problems.raise_if_any()
    catalogue_path = directory / BUNDLE_FOLDER / code / CATALOGUE_FILE
    return CheckedExport(
        directory=directory,
        manifest=manifest,
        bundle=bundle,
        catalogue_text=catalogue_path.read_text(encoding="utf-8"),
        catalogue=catalogue,
        policy=policy,
        tenant_row=tenant_rows[0],
    )


async def _check_schema(database: Database, heads: Collection[str] | None) -> None:
    current = await schema_revision(database)
    if not current:
        refused("the database has no schema: run asan db upgrade first")
    if heads is not None and set(current) != set(heads):
        refused(
            f"the database is at schema {', '.join(current)}, not at this platform's "
            f"{', '.join(sorted(heads))}: run asan db upgrade first"
        )


async def _check_against_database(session: AsyncSession, checked: CheckedExport) -> None:
    problems = _Problems()
    toml = checked.bundle.directory / BUNDLE_FILE
    tenant_id = checked.tenant_row["id"]
    found = (
        await session.execute(
            select(Tenant.code, Tenant.id).where(
                or_(Tenant.code == checked.code, Tenant.id == tenant_id)
            )
        )
    ).all()
    for code, existing_id in found:
        if code == checked.code:
            problems.add(toml, None, "code", f"tenant {code!r} already exists in this database")
        elif existing_id == tenant_id:
            problems.add(
                checked.directory / TENANT_KIND.file,
                1,
                "id",
                f"belongs to tenant {code!r} here already; an imported tenant keeps its id "
                "(applicants' secrets depend on it)",
            )
    if checked.bundle.hostnames:
        owners = await session.execute(
            select(TenantHostname.hostname, Tenant.code)
            .join(Tenant, Tenant.id == TenantHostname.tenant_id)
            .where(TenantHostname.hostname.in_(checked.bundle.hostnames))
        )
        for hostname, owner in owners:
            if owner != checked.code:  # else the tenant itself is here: reported above
                problems.add(toml, None, "hostnames", f"{hostname!r} already belongs to {owner!r}")
    problems.raise_if_any()


async def import_tenant(
    database: Database,
    directory: Path,
    *,
    base_domain: str,
    schema_heads: Collection[str] | None = None,
    plugins: PluginCatalogue | None = None,
    progress: TransferProgress | None = None,
) -> ImportReport:
    """Check the export in ``directory`` completely, then write it in one transaction.

    ``schema_heads``: the migration heads this code expects (refused when the
    database is elsewhere); ``plugins``: the installed plugins (discovered when
    None) that the bundle's ``[plugins]`` table is checked against.
    """
    checked = check_export(directory, base_domain=base_domain, plugins=plugins, progress=progress)
    await _check_schema(database, schema_heads)
    manifest = checked.manifest
    source = os.path.abspath(directory)  # noqa: ASYNC240 - a getcwd, no waiting
    scope = PlatformScope(
        reason=f"import tenant {checked.code} from {source} "
        f"(exported {manifest['exported_at']} by platform {manifest['platform_version']})"
    )
    rows: dict[str, int] = {}
    async with database.transaction(scope) as session:
        await _check_against_database(session, checked)
        tenant_id = await _write_tenant(session, checked)
        for kind in ROW_KINDS:
            rows[kind.file] = await _write_rows(session, checked, kind, tenant_id, progress)
        await _write_policy(session, checked, tenant_id)
        for counter in (CatalogueRevision, UiTextRevision):  # processes read both afresh
            await bump_counter(session, counter, tenant_id)
        await _check_catalogue(session, checked, tenant_id)
    return ImportReport(
        code=checked.code,
        tenant_id=tenant_id,
        status=str(checked.tenant_row["status"]),
        rows=rows,
        platform_version=str(manifest["platform_version"]),
        schema_revision=tuple(manifest["schema_revision"]),
        exported_at=str(manifest["exported_at"]),
        staff_accounts=rows["staff_accounts.jsonl"],
    )


async def _write_tenant(session: AsyncSession, checked: CheckedExport) -> uuid.UUID:
    bundle, row = checked.bundle, checked.tenant_row
    tenant = Tenant(
        id=row["id"],
        code=bundle.code,
        status=row["status"],
        names=dict(bundle.names),
        default_locale=bundle.default_locale,
        locales=list(bundle.locales),
        timezone=bundle.timezone,
        currency=bundle.currency,
        plugin_settings=dict(bundle.plugins),
        bundle_digest=bundle.digest(),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        hostnames=[TenantHostname(hostname=host) for host in sorted(bundle.hostnames)],
    )
    session.add(tenant)
    await session.flush()
    return tenant.id


async def _write_rows(
    session: AsyncSession,
    checked: CheckedExport,
    kind: RowKind,
    tenant_id: uuid.UUID,
    progress: TransferProgress | None,
) -> int:
    """Insert ``kind``'s rows in batches, hashing the file again as it is read: a file
    changed since it was checked fails the transaction instead of slipping in."""
    path = checked.directory / kind.file
    specs = field_specs(kind)
    problems = _Problems()
    digest = hashlib.sha256()
    batch: list[dict[str, Any]] = []
    count = 0
    for number, raw in _read_lines(path):
        digest.update(raw)
        row, _ = _decode_line(raw, specs, path, number, problems)
        problems.raise_if_any()
        batch.append({"tenant_id": tenant_id, **row, **kind.omitted})
        count += 1
        if len(batch) == _BATCH:
            await _insert(session, kind, batch, progress)
    if batch:
        await _insert(session, kind, batch, progress)
    if digest.hexdigest() != checked.manifest["files"][kind.file]["sha256"]:
        refused("changed while it was being imported; nothing was written", file=str(path))
    return count


async def _insert(
    session: AsyncSession,
    kind: RowKind,
    batch: list[dict[str, Any]],
    progress: TransferProgress | None,
) -> None:
    await session.execute(insert(kind.model), batch)
    if progress is not None:
        progress.advance(len(batch), f"writing {kind.file}")
    batch.clear()


async def _write_policy(
    session: AsyncSession, checked: CheckedExport, tenant_id: uuid.UUID
) -> None:
    """The policy lines as stored by ``save_policy``, without its audit event: the
    imported audit trail is the old instance's, unchanged."""
    if checked.policy is None:
        return
    lines = [line for line in checked.policy.to_csv().splitlines() if line.strip()]
    session.add_all(
        PolicyLine(tenant_id=tenant_id, position=index, text=line)
        for index, line in enumerate(lines)
    )
    await bump_counter(session, PolicyRevision, tenant_id)


async def _check_catalogue(
    session: AsyncSession, checked: CheckedExport, tenant_id: uuid.UUID
) -> None:
    """``catalogue.yaml`` is what the imported rows show the public (the export wrote
    it from them): a difference means one was edited without the other."""
    bundle = checked.bundle
    shown = await CatalogueService(
        session,
        tenant_id=tenant_id,
        languages=TenantLanguages(bundle.locales, bundle.currency),
        actor="import",
    ).export_catalogue()
    if shown == checked.catalogue:
        return
    ours, theirs = dump_catalogue(shown).splitlines(), checked.catalogue_text.splitlines()
    line = next(
        (n for n, (a, b) in enumerate(zip(ours, theirs, strict=False), 1) if a != b),
        min(len(ours), len(theirs)) + 1,
    )
    refused(
        "differs from the catalogue in agencies, categories, services and service_versions"
        ".jsonl (first at this line)",
        file=str(bundle.directory / CATALOGUE_FILE),
        line=line,
    )
