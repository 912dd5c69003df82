"""Expand / contract: every revision passes; a breaking one is named before it ships."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from asan.db.migration_rules import check_migration, check_migrations
from asan.models import metadata
from tests.support.databases import REPO_ROOT

VERSIONS = REPO_ROOT / "migrations" / "versions"

HEADER = """
from alembic import op
import sqlalchemy as sa
revision = "9999_x"
down_revision = "0004_applications"
RELEASE = "0.3.0"
"""


def migration(tmp_path: Path, body: str, *, header: str = HEADER) -> list[str]:
    path = tmp_path / "9999_x.py"
    path.write_text(header + "\n\ndef upgrade() -> None:\n" + textwrap.indent(body, "    "))
    return [f"{v.rule}: {v.reason}" for v in check_migration(path)]


def test_every_revision_keeps_to_expand_and_contract() -> None:
    assert [str(v) for v in check_migrations(VERSIONS)] == []


def test_retired_names_are_gone_from_the_models() -> None:
    """What a revision drops must not be used by the code that runs after it."""
    import ast

    for path in sorted(VERSIONS.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.AnnAssign | ast.Assign) and "RETIRED" in ast.dump(node):
                retired = ast.literal_eval(node.value) if node.value is not None else {}
                for name in retired:
                    table, _, column = name.partition(".")
                    if column:
                        assert column not in metadata.tables.get(table, {"c": {}}).c, name
                    else:
                        assert table not in metadata.tables, name


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'op.drop_column("applications", "locale")',
            "contract: drops applications.locale, which the previous release may still use",
        ),
        ('op.drop_table("application_access")', "contract: drops application_access"),
        (
            'with op.batch_alter_table("staff_accounts") as batch:\n'
            '    batch.drop_column("agency")',
            "contract: drops staff_accounts.agency",
        ),
        (
            'op.alter_column("applications", "status", type_=sa.String(32))',
            "rewrite: changing a column's type rewrites the table",
        ),
        (
            'op.alter_column("applications", "agency_reference", nullable=False)',
            "lock: SET NOT NULL scans the table",
        ),
        (
            'op.add_column("applications", sa.Column("x", sa.Integer(), nullable=False))',
            "lock: a NOT NULL column without a server default",
        ),
        (
            'op.create_index("ix_a", "applications", ["agency"])',
            "lock: an index on the live table applications blocks its writes",
        ),
        (
            'op.execute("ALTER TABLE applications ALTER COLUMN status TYPE text")',
            "lock: raw SQL that locks or rewrites a table",
        ),
        (
            'op.alter_column("applications", "agency", new_column_name="agency_code")',
            "rename: a rename breaks the previous release",
        ),
        (
            'op.create_foreign_key("fk", "applications", "tenants", ["tenant_id"], ["id"])',
            "lock: create_foreign_key on a live table validates every row",
        ),
    ],
)
def test_a_breaking_operation_is_named(tmp_path: Path, body: str, expected: str) -> None:
    found = migration(tmp_path, body)
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


@pytest.mark.parametrize(
    "body",
    [
        'op.add_column("applications", sa.Column("x", sa.Integer(), nullable=True))',
        'op.add_column("applications", sa.Column("x", sa.Integer(), nullable=False, '
        'server_default="0"))',
        "with op.get_context().autocommit_block():\n"
        '    op.create_index("ix_a", "applications", ["agency"], postgresql_concurrently=True)',
        'op.create_table("new_things", sa.Column("id", sa.Integer()))\n'
        'op.create_index("ix_n", "new_things", ["id"])\n'
        'op.create_foreign_key("fk", "new_things", "tenants", ["id"], ["id"])',
        'op.create_foreign_key("fk", "applications", "tenants", ["tenant_id"], ["id"], '
        "postgresql_not_valid=True)",
    ],
)
def test_expanding_operations_pass(tmp_path: Path, body: str) -> None:
    assert migration(tmp_path, body) == []


def test_a_drop_is_allowed_once_an_earlier_release_stopped_using_it(tmp_path: Path) -> None:
    retired_early = HEADER + 'RETIRED = {"applications.locale": "0.2.0"}\n'
    assert (
        migration(tmp_path, 'op.drop_column("applications", "locale")', header=retired_early) == []
    )
    retired_now = HEADER + 'RETIRED = {"applications.locale": "0.3.0"}\n'
    assert migration(tmp_path, 'op.drop_column("applications", "locale")', header=retired_now) == [
        "contract: drops applications.locale in 0.3.0, but the code used it until 0.3.0: "
        "drop it in a later release"
    ]


def test_a_revision_without_a_release_is_named(tmp_path: Path) -> None:
    header = HEADER.replace('RELEASE = "0.3.0"\n', "")
    assert migration(tmp_path, "pass") == []
    assert migration(tmp_path, "pass", header=header) == [
        "release: declare RELEASE = 'X.Y.Z', the platform release shipping it"
    ]
