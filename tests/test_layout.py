"""The layout promises of the design card."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from tests.support.databases import REPO_ROOT

CORE = REPO_ROOT / "platform" / "asan"


def test_platform_is_a_source_root_not_a_package() -> None:
    assert not (REPO_ROOT / "platform" / "__init__.py").exists()


def test_stdlib_platform_module_is_not_shadowed_with_the_repo_on_sys_path() -> None:
    code = (
        "import platform, sysconfig, os; "
        "print(platform.system()); "
        "print(os.path.dirname(platform.__file__) == sysconfig.get_paths()['stdlib'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [os.uname().sysname, "True"]


def _imported_modules(root: Path) -> set[str]:
    names: set[str] = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def test_the_core_imports_neither_the_console_nor_any_plugin() -> None:
    plugin_packages = {
        child.name
        for plugin in (REPO_ROOT / "plugins").iterdir()
        if (plugin / "src").is_dir()
        for child in (plugin / "src").iterdir()
        if child.is_dir()
    }
    assert plugin_packages, "no first-party plugins found"
    imported = _imported_modules(CORE)
    assert "admin_console" not in imported
    assert not (imported & plugin_packages), imported & plugin_packages


def test_first_party_plugins_are_found_by_entry_point() -> None:
    from asan.plugins import PluginKind, discover

    catalogue = discover()
    assert catalogue.broken == {}
    log_notifier = catalogue.installed["log_notifier"]
    assert log_notifier.spec.kind is PluginKind.NOTIFIER
    assert log_notifier.distribution == "asan-log-notifier"


def test_every_area_package_says_what_it_owns() -> None:
    for init in CORE.rglob("__init__.py"):
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring, f"{init.relative_to(REPO_ROOT)} has no docstring"
