"""Moving a tenant between instances: export, import, and the same bytes on the way back."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import tomllib
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, inspect, select, update

from asan.access.loading import chain, policy_seeder, read_bundle_policies
from asan.access.staff import add_staff_member, set_staff_password
from asan.api import create_app
from asan.applications.models import DeliveryJob
from asan.audit import AuditEvent
from asan.catalogue.bundle import TenantLanguages
from asan.catalogue.loading import catalogue_loader, read_bundle_catalogues
from asan.catalogue.models import Agency
from asan.catalogue.service import CatalogueService
from asan.config import Settings
from asan.db import Database, PlatformScope, TenantScope, migrate, utcnow
from asan.db._base import tenant_owned_tables
from asan.errors import TenantNotFoundError
from asan.identity.models import StaffAccount
from asan.plugins.loading import check_bundle_plugins
from asan.portability import (
    NOT_EXPORTED,
    ROW_KINDS,
    UNUSABLE_PASSWORD,
    PortabilityError,
    export_tenant,
    import_tenant,
)
from asan.portability._format import TENANT_DERIVED, TENANT_FROM_BUNDLE, TENANT_KIND, references
from asan.portability._toml import dump_toml
from asan.tenancy import Tenant, TenantRecord, TenantRegistry, read_bundles
from asan.translations import UiTextOverride
from tests.applications.support import body as application_body
from tests.applications.support import make_world, published_tenant
from tests.applications.support import test_catalogue as plugin_catalogue
from tests.support.databases import REPO_ROOT, ScratchDatabase, create_database, drop_database
from tests.support.staff import PASSWORD, sign_in

SERVICE = "tax-clearance-certificate"


# --- the format ----------------------------------------------------------------------


def test_every_column_of_every_tenant_table_is_exported_or_left_out_on_purpose() -> None:
    """A new table or column must be a decision about the export format."""
    kinds = {kind.table: kind for kind in ROW_KINDS}
    assert set(tenant_owned_tables()) == set(kinds) | set(NOT_EXPORTED)
    assert not set(kinds) & set(NOT_EXPORTED)
    for table, kind in kinds.items():
        columns = {column.key for column in inspect(kind.model).columns}
        assert columns == {"tenant_id", *kind.fields, *kind.omitted}, table
        assert not set(kind.fields) & set(kind.omitted), table
    tenant_columns = {column.key for column in inspect(Tenant).columns}
    assert tenant_columns == {*TENANT_KIND.fields, *TENANT_FROM_BUNDLE, *TENANT_DERIVED}


def test_a_table_is_written_after_the_tables_it_refers_to() -> None:
    written: set[str] = set()
    for kind in ROW_KINDS:
        for _, table, _ in references(kind):
            assert table in written, f"{kind.file} refers to {table}, written later"
        written.add(kind.table)


def test_the_toml_writer_reads_back_as_written() -> None:
    document = {
        "code": "xx",
        "hostnames": [],
        "name": {"en": 'Quote " backslash \\ tab \t newline \n bell \x07 del \x7f', "az": "Ə"},
        "plugins": {
            "connectors": {
                "*": {"plugin": "p", "rate": 0.1, "big": 1e20, "on": True, "n": -3},
                "tax-service": {"list": ["a", 1, 2.5], "nested": {"deep": {}}},
            },
            "empty": {},
        },
    }
    assert tomllib.loads(dump_toml(document, header="two\nlines")) == document


# --- helpers -------------------------------------------------------------------------


async def load_bundle(database: Database, path: Path) -> TenantRecord:
    """What ``asan tenant load`` does, without its command line."""
    bundles = read_bundles([path])
    catalogues = read_bundle_catalogues(bundles)
    policies = read_bundle_policies(bundles)
    check_bundle_plugins(
        bundles, {code: {a["code"] for a in c.agencies} for code, c in catalogues.items()}
    )
    registry = TenantRegistry(database, base_domain="localhost")
    await registry.load(
        bundles,
        actor="test",
        with_each=chain(
            catalogue_loader(catalogues, actor="test"), policy_seeder(policies, actor="test")
        ),
    )
    return await registry.get(bundles[0].code)


def files_of(directory: Path) -> dict[str, bytes]:
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def without_export_time(manifest: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(manifest)
    data.pop("exported_at")
    return data


def reseal(directory: Path) -> None:
    """Make the manifest agree with files edited on purpose (as a forger would)."""
    path = directory / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for name, entry in manifest["files"].items():
        data = (directory / name).read_bytes()
        entry.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
        if "rows" in entry:
            entry["rows"] = data.count(b"\n")
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")


def edit_rows(path: Path, edit: Any) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    edit(rows)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def migrated_database(backend: str, directory: Path) -> ScratchDatabase:
    directory.mkdir(parents=True, exist_ok=True)
    database = create_database(backend, directory)
    migrate.upgrade(database.settings(directory))
    return database


def heads(settings: Settings) -> tuple[str, ...]:
    return migrate.head_revisions(settings)


# --- the round trip ------------------------------------------------------------------


async def make_rich_tenant(database: Database, settings: Settings) -> dict[str, str]:
    """The az bundle, a catalogue with history, staff, and applications in every state
    the export has to carry; the citizen's reference and secret of one of them."""
    az = await load_bundle(database, REPO_ROOT / "tenants" / "az")
    async with database.transaction(TenantScope(az.id, az.code)) as session:
        catalogue = CatalogueService(
            session,
            tenant_id=az.id,
            languages=TenantLanguages(az.locales, az.currency),
            actor="editor@az",
        )
        faster = {"processing_time": {"value": 2, "unit": "working_days"}}
        await catalogue.update_service(SERVICE, faster)
        await catalogue.publish(SERVICE)  # version 1 superseded, 2 published
        await catalogue.update_service(SERVICE, {"processing_time": {"value": 3, "unit": "days"}})
        await catalogue.retire("international-driving-permit")
    for username, role, agency in (
        ("officer@az", "agency_officer", "tax-service"),
        ("desk@az", "operator", None),
    ):
        await add_staff_member(
            database, az, username, PASSWORD, [role], actor="test", agency=agency
        )

    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app)
    form = {
        "voen": "1234567890",
        "taxpayer_name": "Leyla Məmmədova",
        "purpose": "bank_loan",
        "email": "leyla@example.org",
    }
    citizen = httpx.AsyncClient(transport=transport, base_url="http://az.localhost")
    officer = httpx.AsyncClient(transport=transport, base_url="http://az.localhost")
    desk = httpx.AsyncClient(transport=transport, base_url="http://az.localhost")
    async with citizen, officer, desk:
        created = []
        for number in range(3):
            response = await citizen.post(
                "/api/v1/applications",
                json=application_body(service=SERVICE, form=form),
                headers={"Idempotency-Key": f"round-trip-{number}"},
            )
            assert response.status_code == 201, response.text
            created.append(response.json())
        issued, cancelled, waiting = created
        await sign_in(officer, "officer@az")
        await sign_in(desk, "desk@az")
        # Loads the policy into the authorizer from a reading request. On a SQLite file a
        # staff request that writes cannot load it (its own transaction holds the write
        # lock the authorizer's waits for): with the refresh set long, none has to.
        assert (await officer.get("/api/v1/auth/me")).status_code == 200
        opened = await officer.get(f"/api/v1/applications/{issued['reference']}")
        assert opened.status_code == 200, opened.text  # an access record
        for status, client in (("in_progress", officer), ("ready", officer), ("issued", desk)):
            moved = await client.post(
                f"/api/v1/applications/{issued['id']}/transitions",
                json={"status": status, "note": f"now {status}"},
            )
            assert moved.status_code == 200, moved.text
        withdrawn = await citizen.post(
            f"/api/v1/applications/{cancelled['id']}/transitions",
            json={"status": "cancelled"},
            headers={"X-Application-Secret": cancelled["secret"]},
        )
        assert withdrawn.status_code == 200, withdrawn.text
    # A worker of this instance holds the waiting application's job when the export runs.
    async with database.transaction(PlatformScope(reason="test: a leased job")) as session:
        await session.execute(
            update(DeliveryJob)
            .where(DeliveryJob.application_id == uuid.UUID(waiting["id"]))
            .values(locked_by="old-worker", locked_until=utcnow() + timedelta(minutes=5))
        )
    tenant = await TenantRegistry(database, base_domain="localhost").get("az")
    async with database.transaction(TenantScope(tenant.id, tenant.code)) as session:
        session.add(
            UiTextOverride(
                locale="az",
                message_id="Sign in",
                text="Daxil olun",
                updated_by="admin@az",
                updated_at=utcnow(),
            )
        )
    return {"reference": waiting["reference"], "secret": waiting["secret"]}


async def test_export_import_export_gives_the_same_bytes(
    fresh_database: ScratchDatabase, backend: str, tmp_path: Path
) -> None:
    settings = fresh_database.settings(tmp_path, ASAN_POLICY_REFRESH_SECONDS="3600")
    await asyncio.to_thread(migrate.upgrade, settings)
    target_scratch = await asyncio.to_thread(migrated_database, backend, tmp_path / "target")
    source = Database.from_url(fresh_database.runtime_url, pool_size=2)
    target = Database.from_url(target_scratch.runtime_url, pool_size=2)
    try:
        citizen = await make_rich_tenant(source, settings)
        first = await export_tenant(source, "az", tmp_path / "first", actor="cli:test")
        assert all(first.rows.values()), first.rows  # every kind of row is exercised

        imported = await import_tenant(
            target,
            tmp_path / "first",
            base_domain="localhost",
            schema_heads=heads(settings),
        )
        assert imported.rows == first.rows
        assert imported.staff_accounts == 2
        await export_tenant(target, "az", tmp_path / "second", actor="cli:test")

        before, after = files_of(tmp_path / "first"), files_of(tmp_path / "second")
        assert sorted(before) == sorted(after)
        assert without_export_time(before.pop("manifest.json")) == without_export_time(
            after.pop("manifest.json")
        )
        for name, content in before.items():
            assert content == after[name], f"{name} differs after the round trip"

        # Leases of the old instance's workers are not carried over.
        jobs = [json.loads(line) for line in before["delivery_jobs.jsonl"].splitlines()]
        assert {job["state"] for job in jobs} >= {"pending"}
        assert not any("locked_by" in job for job in jobs)
        # No password hash leaves the instance; imported accounts cannot sign in.
        assert b"argon2" not in b"".join(before.values())
        async with target.transaction(TenantScope(imported.tenant_id, "az")) as session:
            hashes = set((await session.scalars(select(StaffAccount.password_hash))).all())
        assert hashes == {UNUSABLE_PASSWORD}

        # The citizen follows their application on the new instance with the same secret
        # (same tenant id, same application id, same ASAN_SECRET_KEY); staff cannot sign in.
        app = create_app(settings, database=target)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://az.localhost"
        ) as client:
            seen = await client.get(
                f"/api/v1/applications/{citizen['reference']}",
                headers={"X-Application-Secret": citizen["secret"]},
            )
            assert seen.status_code == 200, seen.text
            refused = await client.post(
                "/api/v1/auth/login", json={"username": "officer@az", "password": PASSWORD}
            )
            assert refused.status_code == 401
            # Until an administrator of the new instance gives them a password.
            moved = await TenantRegistry(target, base_domain="localhost").get("az")
            await set_staff_password(target, moved, "officer@az", PASSWORD, actor="cli:test")
            allowed = await client.post(
                "/api/v1/auth/login", json={"username": "officer@az", "password": PASSWORD}
            )
            assert allowed.status_code == 200, allowed.text

        # The source recorded that all of the tenant left it.
        az = await TenantRegistry(source, base_domain="localhost").get("az")
        async with source.transaction(TenantScope(az.id, az.code)) as session:
            actions = (await session.scalars(select(AuditEvent.action))).all()
        assert actions.count("tenant.exported") == 1
    finally:
        await source.dispose()
        await target.dispose()
        await asyncio.to_thread(drop_database, target_scratch)


# --- refusals ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def empty_scratch(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScratchDatabase]:
    """A migrated database into which every import below must fail to write anything."""
    database = migrated_database(backend, tmp_path_factory.mktemp("empty"))
    yield database
    drop_database(database)


@pytest.fixture
async def empty_target(empty_scratch: ScratchDatabase) -> AsyncIterator[Database]:
    database = Database.from_url(empty_scratch.runtime_url, pool_size=2)
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
def source_scratch(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScratchDatabase]:
    database = migrated_database(backend, tmp_path_factory.mktemp("source"))
    yield database
    drop_database(database)


@pytest.fixture(scope="module")
async def source(source_scratch: ScratchDatabase) -> AsyncIterator[Database]:
    database = Database.from_url(source_scratch.runtime_url, pool_size=2)
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
async def pristine_export(
    source: Database, source_scratch: ScratchDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A tenant with staff (a plugin of the tests') and a submitted application, exported
    once; each test spoils a copy of its own."""
    directory = tmp_path_factory.mktemp("pristine")
    world = await make_world(source)
    app = create_app(source_scratch.settings(directory), database=source)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=f"http://{world.tenant.code}.localhost"
    ) as client:
        response = await client.post(
            "/api/v1/applications",
            json=application_body(),
            headers={"Idempotency-Key": "refusal-tests-1"},
        )
        assert response.status_code == 201, response.text
    await export_tenant(source, world.tenant.code, directory / "export", actor="test")
    return directory / "export"


@pytest.fixture
def exported(pristine_export: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine_export, tmp_path / "export"))


async def refusal(target: Database, directory: Path) -> list[str]:
    """The problems an import reports, after checking that it wrote nothing at all."""
    with pytest.raises(PortabilityError) as caught:
        await import_tenant(target, directory, base_domain="localhost", plugins=plugin_catalogue())
    async with target.transaction(PlatformScope(reason="test: count rows")) as session:
        assert await session.scalar(select(func.count()).select_from(Tenant)) == 0
        assert await session.scalar(select(func.count()).select_from(Agency)) == 0
    return [str(problem) for problem in caught.value.problems]


async def test_an_export_imports_into_an_empty_database(
    exported: Path, empty_scratch: ScratchDatabase, tmp_path: Path, settings: Settings
) -> None:
    """The refusals below are refusals of a good export, spoilt."""
    scratch = await asyncio.to_thread(migrated_database, empty_scratch.backend, tmp_path / "db")
    target = Database.from_url(scratch.runtime_url, pool_size=2)
    try:
        report = await import_tenant(
            target,
            exported,
            base_domain="localhost",
            schema_heads=heads(settings),
            plugins=plugin_catalogue(),
        )
        assert report.rows["applications.jsonl"] == 1
        assert report.rows["staff_accounts.jsonl"] == 4
    finally:
        await target.dispose()
        await asyncio.to_thread(drop_database, scratch)


async def test_a_changed_file_is_refused(exported: Path, empty_target: Database) -> None:
    audit = exported / "audit_events.jsonl"
    audit.write_bytes(audit.read_bytes().replace(b'"actor":"test"', b'"actor":"eve"', 1))
    assert await refusal(empty_target, exported) == [
        f"{audit}: checksum differs from the manifest: the file was changed"
    ]


async def test_malformed_rows_are_refused_by_file_line_and_field(
    exported: Path, empty_target: Database
) -> None:
    def spoil_application(rows: list[dict[str, Any]]) -> None:
        rows[0]["status"] = "lost"
        del rows[0]["reference"]

    def smuggle_a_hash(rows: list[dict[str, Any]]) -> None:
        rows[1]["password_hash"] = "$argon2id$v=19$m=65536,t=3,p=4$..."

    def orphan_an_event(rows: list[dict[str, Any]]) -> None:
        rows[0]["application_id"] = "00000000-0000-4000-8000-000000000000"

    edit_rows(exported / "applications.jsonl", spoil_application)
    edit_rows(exported / "staff_accounts.jsonl", smuggle_a_hash)
    edit_rows(exported / "application_events.jsonl", orphan_an_event)
    (exported / "delivery_jobs.jsonl").write_text("not json\n", encoding="utf-8")
    reseal(exported)
    assert await refusal(empty_target, exported) == [
        f"{exported / 'staff_accounts.jsonl'}:2: password_hash: unknown field",
        f"{exported / 'applications.jsonl'}:1: reference: missing",
        f"{exported / 'applications.jsonl'}:1: status: 'lost' is not one of submitted, "
        "forwarded, in_progress, ready, issued, rejected, cancelled",
        f"{exported / 'application_events.jsonl'}:1: application_id: "
        "no '00000000-0000-4000-8000-000000000000' in applications.jsonl",
        f"{exported / 'delivery_jobs.jsonl'}:1: not JSON: Expecting value at column 1",
    ]


async def test_a_catalogue_edited_without_its_rows_is_refused_after_writing_and_rolled_back(
    exported: Path, empty_target: Database
) -> None:
    """The last check runs inside the transaction, after every row was inserted."""
    code = json.loads((exported / "manifest.json").read_text())["tenant"]
    catalogue = exported / "bundle" / code / "catalogue.yaml"
    text = catalogue.read_text(encoding="utf-8")
    catalogue.write_text(text.replace("Birth certificate", "Death certificate"), encoding="utf-8")
    reseal(exported)
    (problem,) = await refusal(empty_target, exported)
    assert problem.startswith(f"{catalogue}:")
    assert "differs from the catalogue in agencies, categories, services" in problem


async def test_a_tenant_already_here_is_refused(exported: Path, source: Database) -> None:
    code = json.loads((exported / "manifest.json").read_text())["tenant"]
    with pytest.raises(PortabilityError) as caught:
        await import_tenant(source, exported, base_domain="localhost", plugins=plugin_catalogue())
    assert [str(p) for p in caught.value.problems] == [
        f"{exported / 'bundle' / code / 'tenant.toml'}: code: "
        f"tenant {code!r} already exists in this database"
    ]


async def test_a_tenant_id_already_here_is_refused_under_another_code(
    database: Database, tmp_path: Path
) -> None:
    tenant = await published_tenant(database)
    exported = tmp_path / "export"
    await export_tenant(database, tenant.code, exported, actor="test")
    (exported / "bundle" / tenant.code).rename(exported / "bundle" / "renamed")
    toml = exported / "bundle" / "renamed" / "tenant.toml"
    toml.write_text(
        toml.read_text().replace(f'code = "{tenant.code}"', 'code = "renamed"'), encoding="utf-8"
    )
    edit_rows(exported / "tenant.jsonl", lambda rows: rows[0].update(code="renamed"))
    manifest = json.loads((exported / "manifest.json").read_text())
    manifest["files"] = {
        name.replace(f"bundle/{tenant.code}/", "bundle/renamed/"): entry
        for name, entry in manifest["files"].items()
    }
    manifest["tenant"] = "renamed"
    (exported / "manifest.json").write_text(json.dumps(manifest))
    reseal(exported)
    with pytest.raises(PortabilityError) as caught:
        await import_tenant(database, exported, base_domain="localhost")
    assert [str(p) for p in caught.value.problems] == [
        f"{exported / 'tenant.jsonl'}:1: id: belongs to tenant {tenant.code!r} here already; "
        "an imported tenant keeps its id (applicants' secrets depend on it)"
    ]


async def test_an_export_of_a_newer_format_is_refused(
    exported: Path, empty_target: Database
) -> None:
    manifest = json.loads((exported / "manifest.json").read_text())
    manifest["format_version"] = 2
    (exported / "manifest.json").write_text(json.dumps(manifest))
    assert await refusal(empty_target, exported) == [
        f"{exported / 'manifest.json'}: format_version: 2: this platform reads format 1 only "
        "(the export is newer: upgrade this instance)"
    ]


async def test_an_import_into_a_database_behind_the_code_is_refused(
    exported: Path, empty_target: Database
) -> None:
    with pytest.raises(PortabilityError, match="run asan db upgrade first"):
        await import_tenant(
            empty_target,
            exported,
            base_domain="localhost",
            schema_heads=["9999_from_the_future"],
            plugins=plugin_catalogue(),
        )


async def test_an_export_never_writes_into_a_folder_that_holds_something(
    database: Database, tmp_path: Path
) -> None:
    tenant = await published_tenant(database)
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    with pytest.raises(PortabilityError, match="exists and is not an empty folder"):
        await export_tenant(database, tenant.code, occupied, actor="test")
    assert [p.name for p in tmp_path.iterdir()] == ["occupied"]  # noqa: ASYNC240 - no staging left
    empty = tmp_path / "empty"
    empty.mkdir()
    await export_tenant(database, tenant.code, empty, actor="test")
    assert (empty / "manifest.json").is_file()
    with pytest.raises(TenantNotFoundError):
        await export_tenant(database, "nosuchtenant", tmp_path / "none", actor="test")
