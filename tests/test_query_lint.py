"""A lint: the core reaches tenant data through ORM entities, where the guards apply.

Raw SQL (``text(...)``) and Core statements on ``Model.__table__`` bypass the ORM
wall; only the listed modules may use them, for catalog and health queries
that read no tenant row.
"""

from __future__ import annotations

import re

from tests.support.databases import REPO_ROOT

ALLOWED = {
    "platform/asan/db/_guards.py",  # sets the RLS settings
    "platform/asan/db/_database.py",  # BEGIN for SQLite
    "platform/asan/db/roles.py",  # reads pg_roles and pg_tables
    "platform/asan/api/health.py",  # SELECT 1
}
BYPASSES = re.compile(r"(?<![\w.])(?<!def )text\(|__table__|exec_driver_sql|\.connection\(\)")


def test_only_allowed_modules_bypass_the_orm() -> None:
    offenders = []
    for path in sorted((REPO_ROOT / "platform" / "asan").rglob("*.py")):
        relative = str(path.relative_to(REPO_ROOT))
        if relative in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BYPASSES.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders, "queries bypassing the ORM guards:\n" + "\n".join(offenders)
