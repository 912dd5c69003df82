"""The start-up check on the database role the app connects as."""

from __future__ import annotations

import pytest

from asan.db import Database
from asan.db.roles import check_runtime_role, runtime_role_problems
from asan.errors import ConfigError
from tests.support.databases import ScratchDatabase


async def test_the_runtime_role_passes(migrated: ScratchDatabase) -> None:
    database = Database.from_url(migrated.runtime_url)
    try:
        assert await runtime_role_problems(database) == []
        await check_runtime_role(database, production=True)
    finally:
        await database.dispose()


@pytest.mark.postgres_only
async def test_production_refuses_a_role_that_rls_does_not_bind(migrated: ScratchDatabase) -> None:
    owner = Database.from_url(migrated.owner_url)  # the server's superuser, owner of the tables
    try:
        problems = await runtime_role_problems(owner)
        assert any("superuser" in problem for problem in problems)
        assert any("owns" in problem and "audit_events" in problem for problem in problems)
        with pytest.raises(ConfigError, match=r"^ASAN_DATABASE_URL connects as a role"):
            await check_runtime_role(owner, production=True)
        await check_runtime_role(owner, production=False)  # dev: a warning only
    finally:
        await owner.dispose()
