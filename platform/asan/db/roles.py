"""Is the app's database role one that row-level security actually binds?

PostgreSQL skips RLS for superusers and BYPASSRLS roles, and (without FORCE)
for table owners. Running the app as such a role would silently remove the
database wall, so production refuses to start and dev warns.
"""

from __future__ import annotations

import structlog
from sqlalchemy import text

from asan.db._base import tenant_owned_tables
from asan.db._database import Database
from asan.errors import ConfigError

log = structlog.get_logger(__name__)


async def runtime_role_problems(database: Database) -> list[str]:
    """What is wrong with the connected role, for RLS purposes (empty: nothing)."""
    if database.dialect_name != "postgresql":
        return []
    async with database.system_connection() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles "
                    "WHERE rolname = current_user"
                )
            )
        ).one()
        owned = (
            (
                await connection.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tableowner = current_user AND tablename = ANY(:tables)"
                    ),
                    {"tables": tenant_owned_tables()},
                )
            )
            .scalars()
            .all()
        )
    problems = []
    if row.rolsuper:
        problems.append(f"role {row.current_user!r} is a superuser")
    if row.rolbypassrls:
        problems.append(f"role {row.current_user!r} has BYPASSRLS")
    if owned:
        problems.append(f"role {row.current_user!r} owns {', '.join(sorted(owned))}")
    return problems


async def check_runtime_role(database: Database, *, production: bool) -> None:
    problems = await runtime_role_problems(database)
    if not problems:
        return
    message = (
        "ASAN_DATABASE_URL connects as a role that row-level security does not bind: "
        + "; ".join(problems)
        + " (connect as the runtime role, see README)"
    )
    if production:
        raise ConfigError(message)
    log.warning(message)
