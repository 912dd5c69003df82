"""The bridge between ``asan db ...`` and Alembic.

Migrations always run on the owner connection (``ASAN_MIGRATION_DATABASE_URL``);
the app itself never needs DDL rights. The async engine is driven through
``asyncio.run`` in ``migrations/env.py``, so these functions are synchronous
and must not be called from inside a running event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, Table, inspect, select
from sqlalchemy.engine import Connection

from asan.config import Settings

_ALEMBIC_VERSION = Table("alembic_version", MetaData(), Column("version_num", String(32)))


@dataclass(frozen=True, slots=True)
class Revision:
    revision: str
    down_revision: str | None
    message: str
    is_head: bool


def alembic_config(settings: Settings, *, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(settings.migrations_dir))
    # Percent signs in passwords would otherwise be read as interpolation.
    config.set_main_option(
        "sqlalchemy.url", (url or settings.database.migration_url).replace("%", "%%")
    )
    config.attributes["runtime_role"] = settings.database.runtime_role
    return config


def script_directory(settings: Settings) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(settings))


def head_revisions(settings: Settings) -> tuple[str, ...]:
    return tuple(script_directory(settings).get_heads())


def upgrade(settings: Settings, target: str = "head", *, url: str | None = None) -> None:
    command.upgrade(alembic_config(settings, url=url), target)


def downgrade(settings: Settings, target: str, *, url: str | None = None) -> None:
    command.downgrade(alembic_config(settings, url=url), target)


def history(settings: Settings) -> list[Revision]:
    scripts = script_directory(settings)
    heads = set(scripts.get_heads())
    return [
        Revision(
            revision=script.revision,
            down_revision=script.down_revision if isinstance(script.down_revision, str) else None,
            message=script.doc,
            is_head=script.revision in heads,
        )
        for script in scripts.walk_revisions()
    ]


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """What the database says it is at (empty when never migrated)."""
    if not inspect(connection).has_table("alembic_version"):
        return ()
    return tuple(connection.scalars(select(_ALEMBIC_VERSION.c.version_num)).all())
