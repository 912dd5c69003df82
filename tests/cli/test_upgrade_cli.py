"""asan upgrade plan|apply on a database with the three demo tenants."""

from __future__ import annotations

import json

from sqlalchemy import update

from asan.db import Database, PlatformScope
from asan.tenancy import Tenant
from tests.cli.test_cli import Asan, asan  # noqa: F401 - the fixture
from tests.support.databases import REPO_ROOT, ScratchDatabase


async def test_plan_then_apply_leaves_a_blocked_tenant_as_it_was(
    asan: Asan,  # noqa: F811
    fresh_database: ScratchDatabase,
) -> None:
    asan("db", "upgrade")
    asan("tenant", "load", str(REPO_ROOT / "tenants"))
    asan("db", "downgrade", "0003_identity")  # as if the code were one release ahead

    planned = json.loads(asan("upgrade", "plan", "--json").stdout)
    assert planned["schema"] == {"current": ["0003_identity"], "target": ["0005_console"]}
    assert [m["revision"] for m in planned["migrations"]] == ["0004_applications", "0005_console"]
    assert [(t["tenant"], t["ready"]) for t in planned["tenants"]] == [
        ("az", True),
        ("ee", True),
        ("ma", True),
    ]
    assert planned["tenants"][1]["plugins"] == {"log_notifier": "0.1.0", "xroad": "0.1.0"}
    assert asan("db", "current", check=False).stdout.startswith("0003_identity")  # unchanged

    database = Database.from_url(fresh_database.runtime_url, pool_size=1)
    async with database.transaction(PlatformScope(reason="test: break ma")) as session:
        await session.execute(
            update(Tenant)
            .where(Tenant.code == "ma")
            .values(plugin_settings={"connectors": {"*": {"plugin": "carrier_pigeon"}}})
        )
    await database.dispose()
    blocked = asan("upgrade", "plan", check=False)
    assert blocked.returncode == 1
    assert "ma     BLOCKED" in blocked.stdout
    assert "unknown plugin 'carrier_pigeon'" in blocked.stdout

    applied = asan("upgrade", "apply", check=False)
    assert applied.returncode == 1
    assert applied.stdout.splitlines()[:4] == [
        "migrations run: 0004_applications, 0005_console",
        "az: upgraded to 0.1.0",
        "ee: upgraded to 0.1.0",
        "ma: LEFT AS IT WAS",
    ]
    assert asan("db", "current").stdout.strip().endswith("(head)")
    after = json.loads(asan("upgrade", "plan", "--json", check=False).stdout)
    assert after["migrations"] == []
    assert [(t["tenant"], t["recorded_release"]) for t in after["tenants"]] == [
        ("az", "0.1.0"),
        ("ee", "0.1.0"),
        ("ma", None),
    ]
    again = asan("upgrade", "apply", check=False)
    assert "az: already at 0.1.0" in again.stdout
