"""Expand / contract: the rules that let old and new pods share a database during an upgrade.

A rolling upgrade runs the new release's migrations while the previous
release's pods still serve. So a migration may only *expand* (add tables,
nullable columns, indexes built concurrently) in a way the previous release
ignores, and may only *contract* (drop) what the previous release no longer
uses. Anything that rewrites or scans a live table under an exclusive lock
stalls every pod meanwhile. This module reads a migration's source (never
runs it) and names each operation that breaks these rules; the test suite runs
it over every revision, so a breaking migration fails before it ships.

Each revision declares ``RELEASE`` (the platform release that ships it). A
drop is allowed only for columns and tables listed in the revision's
``RETIRED`` mapping with the release from which the code stopped using them,
which must be older than ``RELEASE``: then the previous release cannot use them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

_LOCKING_SQL = re.compile(
    r"ALTER\s+TABLE.*\b(ALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE|SET\s+NOT\s+NULL)\b"
    r"|\bVACUUM\s+FULL\b|\bCLUSTER\b|\bLOCK\s+TABLE\b",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Violation:
    file: str
    line: int
    rule: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.rule}: {self.reason}"


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _module_constant(tree: ast.Module, name: str) -> ast.expr | None:
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            targets, value = list(statement.targets), statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return value
    return None


class _Checker:
    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.file = path.name
        self.violations: list[Violation] = []
        self.created: set[str] = set()
        release = _text(_module_constant(tree, "RELEASE"))
        self.release: Version | None = None
        try:
            self.release = Version(release) if release else None
        except InvalidVersion:
            self.release = None
        retired = _module_constant(tree, "RETIRED")
        self.retired: dict[str, str] = (
            {k: v for k, v in ast.literal_eval(retired).items()} if retired is not None else {}
        )
        if self.release is None:
            self.flag(1, "release", "declare RELEASE = 'X.Y.Z', the platform release shipping it")

    def flag(self, line: int, rule: str, reason: str) -> None:
        self.violations.append(Violation(self.file, line, rule, reason))

    def _drop(self, line: int, what: str) -> None:
        since = self.retired.get(what)
        if since is None:
            self.flag(
                line,
                "contract",
                f"drops {what}, which the previous release may still use: stop using it in one "
                f"release, list it in RETIRED with that release, drop it in a later one",
            )
        elif self.release is not None and not Version(since) < self.release:
            self.flag(
                line,
                "contract",
                f"drops {what} in {self.release}, but the code used it until {since}: "
                "drop it in a later release",
            )

    def check(self, call: ast.Call, table: str | None) -> None:
        """``table`` is set for operations on a ``batch_alter_table`` handle."""
        if not isinstance(call.func, ast.Attribute):
            return
        name = call.func.attr
        args = call.args
        first = _text(args[0]) if args else None
        named_first = name.startswith("create_") and name != "create_table"  # (name, table, ...)
        second = _text(args[1]) if len(args) > 1 else None
        target = table or (second if named_first else first)
        existing = target is not None and target not in self.created
        line = call.lineno
        if name == "create_table" and first:
            self.created.add(first)
        elif name == "drop_table" and first:
            self._drop(line, first)
        elif name == "drop_column":
            dropped = _text(args[0] if table else (args[1] if len(args) > 1 else None))
            self._drop(line, f"{target}.{dropped}")
        elif name in ("rename_table",) or (
            name == "alter_column" and _keyword(call, "new_column_name") is not None
        ):
            self.flag(line, "rename", "a rename breaks the previous release: add, copy, drop later")
        elif name == "alter_column" and existing:
            if _keyword(call, "type_") is not None:
                self.flag(
                    line,
                    "rewrite",
                    "changing a column's type rewrites the table under an "
                    "ACCESS EXCLUSIVE lock: add a new column and copy instead",
                )
            if _is_false(_keyword(call, "nullable")):
                self.flag(
                    line,
                    "lock",
                    "SET NOT NULL scans the table under an ACCESS EXCLUSIVE "
                    "lock: add CHECK (... IS NOT NULL) NOT VALID, VALIDATE it, then set it",
                )
        elif name == "add_column" and existing:
            column = args[0] if table else (args[1] if len(args) > 1 else None)
            if (
                isinstance(column, ast.Call)
                and _is_false(_keyword(column, "nullable"))
                and (_keyword(column, "server_default") is None)
            ):
                self.flag(
                    line,
                    "lock",
                    "a NOT NULL column without a server default fails or "
                    "rewrites a populated table: add it nullable, backfill, then constrain",
                )
        elif name == "create_index" and len(args) > 1:
            indexed = table or _text(args[1])
            if indexed not in self.created and not _is_true(
                _keyword(call, "postgresql_concurrently")
            ):
                self.flag(
                    line,
                    "lock",
                    f"an index on the live table {indexed} blocks its writes "
                    "while it builds: postgresql_concurrently=True in an autocommit_block",
                )
        elif name in ("create_foreign_key", "create_check_constraint") and existing:
            if not _is_true(_keyword(call, "postgresql_not_valid")):
                self.flag(
                    line,
                    "lock",
                    f"{name} on a live table validates every row under lock: "
                    "postgresql_not_valid=True, then VALIDATE CONSTRAINT separately",
                )
        elif name == "create_unique_constraint" and existing:
            self.flag(
                line,
                "lock",
                "a unique constraint on a live table builds its index under "
                "lock: build a unique index concurrently, then attach it",
            )
        elif name == "execute":
            sql = _text(args[0]) if args else None
            if sql and _LOCKING_SQL.search(sql):
                self.flag(line, "lock", f"raw SQL that locks or rewrites a table: {sql[:60]!r}")


def _walk(checker: _Checker, body: list[ast.stmt], table: str | None) -> None:
    for statement in body:
        if isinstance(statement, ast.With):
            batch: str | None = None
            for item in statement.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "batch_alter_table"
                ):
                    batch = _text(call.args[0]) if call.args else None
                    if _text(_keyword(call, "recreate")) == "always":
                        checker.flag(call.lineno, "rewrite", "recreate='always' copies the table")
            _walk(checker, statement.body, batch or table)
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Call):
                checker.check(node, table)


def check_migration(path: Path) -> list[Violation]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    checker = _Checker(path, tree)
    upgrade = next(
        (s for s in tree.body if isinstance(s, ast.FunctionDef) and s.name == "upgrade"), None
    )
    if upgrade is not None:
        _walk(checker, upgrade.body, None)
    return checker.violations


def check_migrations(directory: Path) -> list[Violation]:
    return [
        violation for path in sorted(directory.glob("*.py")) for violation in check_migration(path)
    ]
