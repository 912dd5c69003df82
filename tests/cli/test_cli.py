"""The asan command as an operator meets it: a real process, real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from asan.cli import cli
from tests.support.databases import REPO_ROOT, ScratchDatabase

ASAN = str(Path(sys.executable).parent / "asan")


def script_directory_head() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory(str(REPO_ROOT / "migrations")).get_current_head())


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("path", all_commands(cli), ids=lambda p: " ".join(p) or "asan")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


class Asan:
    def __init__(self, database: ScratchDatabase, tmp_path: Path) -> None:
        self.env = {
            **os.environ,
            "ASAN_VAR_DIR": str(tmp_path / "var"),
            "ASAN_DATABASE_URL": database.runtime_url,
            "ASAN_MIGRATION_DATABASE_URL": database.owner_url,
            "ASAN_DB_RUNTIME_ROLE": "asan_test_runtime",
            "ASAN_TENANTS_DIR": str(REPO_ROOT / "tenants"),
        }

    def __call__(
        self, *args: str, check: bool = True, **env: str
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [ASAN, *args], env={**self.env, **env}, capture_output=True, text=True, timeout=120
        )
        if check:
            assert result.returncode == 0, result.stderr
        return result


@pytest.fixture
def asan(fresh_database: ScratchDatabase, tmp_path: Path) -> Asan:
    return Asan(fresh_database, tmp_path)


def test_a_bad_setting_is_one_line_and_details_come_with_verbose(asan: Asan) -> None:
    result = asan("tenant", "list", check=False, ASAN_ENV="prod")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: ASAN_ENV must be 'dev' or 'production', got 'prod'"
    ]
    verbose = asan("--verbose", "tenant", "list", check=False, ASAN_ENV="prod")
    assert "Traceback" in verbose.stderr


def test_migrate_load_reload_suspend_resume(asan: Asan) -> None:
    head = script_directory_head()
    assert asan("db", "upgrade").stdout.strip() == f"database at {head}"
    assert asan("db", "current").stdout.strip().endswith("(head)")

    first = asan("tenant", "load", str(REPO_ROOT / "tenants"))
    assert first.stdout.splitlines() == [
        "az: created, catalogue seeded (62 services), policy seeded",
        "ee: created, catalogue seeded (30 services), policy seeded",
        "ma: created, catalogue seeded (32 services), policy seeded",
    ]
    assert "loading tenants" in first.stderr  # the progress bar
    again = asan("tenant", "load", str(REPO_ROOT / "tenants"))
    assert again.stdout.splitlines() == [
        "az: unchanged, catalogue kept, policy kept",
        "ee: unchanged, catalogue kept, policy kept",
        "ma: unchanged, catalogue kept, policy kept",
    ]

    listed = json.loads(asan("tenant", "list", "--json").stdout)
    assert [(t["code"], t["status"]) for t in listed] == [
        ("az", "active"),
        ("ee", "active"),
        ("ma", "active"),
    ]
    assert asan("tenant", "suspend", "ma").stdout.strip() == "ma: suspended"
    shown = json.loads(asan("tenant", "show", "ma", "--json").stdout)
    assert shown["status"] == "suspended"
    assert shown["recent_changes"][0]["action"] == "tenant.suspended"
    assert asan("tenant", "resume", "ma").stdout.strip() == "ma: active"

    missing = asan("tenant", "show", "xx", check=False)
    assert (missing.returncode, missing.stderr.strip()) == (1, "error: no tenant with code 'xx'")


def test_a_bad_bundle_is_reported_per_key_and_changes_nothing(asan: Asan, tmp_path: Path) -> None:
    asan("db", "upgrade")
    bundles = tmp_path / "bundles"
    for code in ("kz", "uz"):
        (bundles / code).mkdir(parents=True)
    (bundles / "kz" / "tenant.toml").write_text(
        'code = "kz"\nlocales = ["kk", "ru"]\ntimezone = "Asia/Almaty"\ncurrency = "KZT"\n'
        '[name]\nkk = "Қазақстан Республикасы"\nru = "Республика Казахстан"\n'
    )
    (bundles / "uz" / "tenant.toml").write_text(
        'code = "uz"\nlocales = ["uz"]\ntimezone = "Asia/Tashkent"\ncurrency = "SUM"\n[name]\n'
    )
    result = asan("tenant", "load", str(bundles), check=False)
    assert result.returncode == 1
    uz = bundles / "uz" / "tenant.toml"
    assert result.stderr.splitlines() == [
        f"error: {uz}: name.uz: missing: every enabled locale needs the name",
        f"error: {uz}: currency: 'SUM' is not an ISO 4217 currency code",
        "nothing was changed (2 problem(s))",
    ]
    assert json.loads(asan("tenant", "list", "--json").stdout) == []


def test_downgrade_reports_the_schema_behind_head(asan: Asan) -> None:
    asan("db", "upgrade")
    asan("db", "downgrade", "base")
    behind = asan("db", "current", check=False)
    assert behind.returncode == 3
    assert "behind head" in behind.stdout
    history = asan("db", "history").stdout
    assert f"-> {script_directory_head()} (head)" in history
    assert "base -> 0001_tenancy" in history


def test_demo_is_refused_in_production(asan: Asan) -> None:
    result = asan(
        "demo",
        "--no-serve",
        check=False,
        ASAN_ENV="production",
        ASAN_SECRET_KEY="s" * 40,
        ASAN_DATABASE_URL="postgresql+asyncpg://asan_app@127.0.0.1:5432/not_used",
    )
    assert result.returncode == 1
    assert "refused when ASAN_ENV=production" in result.stderr


def test_demo_prepares_everything_without_serving(asan: Asan) -> None:
    result = asan("demo", "--no-serve")
    assert "tenant az: created -> http://az.localhost:8000/api/v1/tenant" in result.stderr
    assert [t["code"] for t in json.loads(asan("tenant", "list", "--json").stdout)] == [
        "az",
        "ee",
        "ma",
    ]


def test_catalogue_export_import_export_round_trips(asan: Asan, tmp_path: Path) -> None:
    asan("demo", "--no-serve")
    exported = tmp_path / "ma.yaml"
    asan("catalogue", "export", "ma", "--output", str(exported))
    # Into another tenant with the same languages and currency, starting empty.
    bundle = tmp_path / "bundles" / "mx"
    bundle.mkdir(parents=True)
    (bundle / "tenant.toml").write_text(
        (REPO_ROOT / "tenants" / "ma" / "tenant.toml")
        .read_text(encoding="utf-8")
        .replace('code = "ma"', 'code = "mx"'),
        encoding="utf-8",
    )
    asan("tenant", "load", str(bundle))
    imported = asan("catalogue", "import", "mx", str(exported))
    assert imported.stdout.splitlines()[-1] == "services: 32 created, 0 updated, 0 unchanged"
    assert asan("catalogue", "export", "mx").stdout == exported.read_text(encoding="utf-8")
    again = asan("catalogue", "import", "mx", str(exported))
    assert again.stdout.splitlines()[-1] == "services: 0 created, 0 updated, 32 unchanged"


def test_a_bad_catalogue_file_imports_nothing_and_says_where(asan: Asan, tmp_path: Path) -> None:
    asan("demo", "--no-serve")
    before = asan("catalogue", "export", "ee").stdout
    broken = before.replace("currency: EUR", "currency: USD", 1).replace(
        "unit: working_days", "unit: fortnights", 1
    )
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    result = asan("catalogue", "import", "ee", str(path), check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "nothing was changed (2 problem(s))"
    assert any(
        ".fee.currency: 'USD': fees are in the tenant's currency, EUR" in line for line in lines
    )
    assert any(".processing_time.unit: must be one of" in line for line in lines)
    assert all(line.startswith(f"error: {path}: services[") for line in lines[:-1])
    assert asan("catalogue", "export", "ee").stdout == before


def test_demo_staff_and_the_policy_commands(asan: Asan) -> None:
    listed = asan("demo", "--accounts").stdout.splitlines()
    assert listed[0].startswith("password of every account: the value of ASAN_DEMO_PASSWORD")
    accounts = {line.split()[0]: line.split()[1] for line in listed[1:]}
    assert accounts["tenant_admin@az"] == "tenant_admin"
    assert accounts["operator@ma"] == "operator"
    assert "platform_operator@az" not in accounts
    assert asan("demo", "--accounts").stdout.splitlines() == listed  # nothing new the second time

    explained = asan(
        "policy", "explain", "az", "catalogue_editor@az", "publish", "catalogue", check=False
    )
    assert explained.returncode == 2
    assert explained.stdout.startswith(
        "denied: no rule gives catalogue.publish to catalogue_editor@az"
    )
    allowed = asan("policy", "explain", "az", "catalogue_publisher@az", "publish", "catalogue")
    assert "by `p, catalogue_publisher, *, catalogue, publish` (templates.csv:" in allowed.stdout
    checked = asan("policy", "check", "ma")
    assert "etat_civil_clerk" in checked.stdout  # a role nobody holds yet: a warning
    matrix = asan("policy", "matrix", "ma").stdout.splitlines()
    clerk = next(line for line in matrix if line.startswith("etat_civil_clerk"))
    assert "+" in clerk
    assert "*" not in clerk


def test_a_malformed_policy_file_names_its_line_and_loads_nothing(
    asan: Asan, tmp_path: Path
) -> None:
    asan("db", "upgrade")
    bundle = tmp_path / "bundles" / "ee"
    bundle.mkdir(parents=True)
    for name in ("tenant.toml", "catalogue.yaml"):
        (bundle / name).write_text(
            (REPO_ROOT / "tenants" / "ee" / name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    (bundle / "policy.csv").write_text(
        "sod, catalogue.draft, catalogue.publish\np, clerk, ee, catalogue\n", encoding="utf-8"
    )
    result = asan("tenant", "load", str(bundle), check=False)
    assert result.returncode == 1
    assert (
        f"{bundle / 'policy.csv'}, line 2" in result.stderr
        or f"{bundle / 'policy.csv'}:2" in result.stderr
    )
    assert json.loads(asan("tenant", "list", "--json").stdout) == []


def test_a_new_tenant_gets_its_first_admin_from_the_cli(asan: Asan) -> None:
    asan("db", "upgrade")
    asan("tenant", "load", str(REPO_ROOT / "tenants" / "ee"))
    added = asan(
        "staff",
        "add",
        "ee",
        "mari@ee",
        "--role",
        "tenant_admin",
        ASAN_STAFF_PASSWORD="a long passphrase",
    )
    assert added.stdout.strip() == "mari@ee: added to ee as tenant_admin"
    assert (
        "allowed: policy.edit"
        in asan("policy", "explain", "ee", "mari@ee", "edit", "policy").stdout
    )
    again = asan(
        "staff",
        "add",
        "ee",
        "mari@ee",
        "--role",
        "auditor",
        check=False,
        ASAN_STAFF_PASSWORD="a long passphrase",
    )
    assert (again.returncode, again.stderr.strip()) == (1, "error: mari@ee exists already")
    weak = asan(
        "staff", "add", "ee", "x@ee", "--role", "auditor", check=False, ASAN_STAFF_PASSWORD="short"
    )
    assert "at least 12 characters" in weak.stderr
    unknown = asan(
        "staff",
        "add",
        "ee",
        "y@ee",
        "--role",
        "emperor",
        check=False,
        ASAN_STAFF_PASSWORD="a long passphrase",
    )
    assert unknown.returncode == 1
