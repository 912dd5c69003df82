"""``asan tenant export`` and ``import`` as the central team runs them: real processes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from asan.db import Database, migrate
from tests.cli.test_cli import Asan
from tests.support.databases import REPO_ROOT, ScratchDatabase, create_database
from tests.tenancy.test_portability import load_bundle


def test_a_tenant_moves_to_another_instance(tmp_path: Path) -> None:
    """On SQLite only: the round trip on both databases is tests/tenancy/test_portability.py's;
    this is about the commands (arguments, output, progress, errors), at a process each."""
    first, second = (create_database("sqlite", tmp_path) for _ in range(2))
    shared, own = Asan(first, tmp_path), Asan(second, tmp_path)
    for database in (first, second):
        migrate.upgrade(database.settings(tmp_path))
    asyncio.run(load_az(first))  # what asan tenant load does, without a process
    export = tmp_path / "az-export"

    exported = shared("tenant", "export", "az", str(export))
    assert exported.stdout.splitlines()[-1] == f"az: exported to {export}"
    assert "services.jsonl: 62 row(s)" in exported.stdout.splitlines()
    assert "exporting az" in exported.stderr  # the progress bar
    assert "note: az is active; for a move, suspend it before exporting" in exported.stderr
    manifest = json.loads((export / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["tenant"], manifest["format_version"]) == ("az", 1)

    imported = own("tenant", "import", str(export))
    assert imported.stdout.splitlines()[-1] == (
        f"az: imported (active), exported {manifest['exported_at']} "
        f"by platform {manifest['platform_version']}"
    )
    assert "importing" in imported.stderr

    refused = own("tenant", "import", str(tmp_path), check=False)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f"error: {tmp_path}: no manifest.json: not a tenant export",
        "nothing was changed (1 problem(s))",
    ]


async def load_az(scratch: ScratchDatabase) -> None:
    database = Database.from_url(scratch.runtime_url, pool_size=2)
    try:
        await load_bundle(database, REPO_ROOT / "tenants" / "az")
    finally:
        await database.dispose()
