"""The CLI of plugins and delivery: load checks, plugins list/check, worker, dead letters."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.test_cli import Asan, asan  # noqa: F401 - the fixture
from tests.support.databases import REPO_ROOT


def test_a_bundle_naming_an_unknown_plugin_or_agency_changes_nothing(
    asan: Asan,  # noqa: F811
    tmp_path: Path,
) -> None:
    asan("db", "upgrade")
    bundles = tmp_path / "bundles"
    shutil.copytree(REPO_ROOT / "tenants" / "az", bundles / "az")
    toml = bundles / "az" / "tenant.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + '\n[plugins.connectors.tax-servce]\nplugin = "carrier_pigeon"\n',
        encoding="utf-8",
    )
    result = asan("tenant", "load", str(bundles), check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        f"error: {toml}: plugins.connectors.tax-servce: no agency 'tax-servce' in the catalogue",
        f"error: {toml}: plugins.connectors.tax-servce.plugin: unknown plugin 'carrier_pigeon' "
        "(installed: log_notifier, rest_webhook, sandbox_agency, smtp_notifier, xroad)",
    ]
    assert asan("tenant", "list").stdout.startswith("no tenants")


def test_plugins_list_check_worker_and_dead_letters(asan: Asan) -> None:  # noqa: F811
    asan("db", "upgrade")
    asan("tenant", "load", str(REPO_ROOT / "tenants"))
    listed = asan("plugins", "list").stdout.splitlines()
    assert any(line.startswith("sandbox_agency") and "used by: az" in line for line in listed)
    assert any(line.startswith("xroad") and "used by: ee" in line for line in listed)
    assert any(line.startswith("rest_webhook") and "used by: ma" in line for line in listed)
    assert any("log_notifier" in line and "az (notifier)" in line for line in listed)

    sandbox = asan("plugins", "check", "sandbox_agency")
    assert sandbox.stdout.startswith("ok   az/*: settings valid; health: ")
    # ma's secret is a secret:NAME/KEY reference with no file here: reported, exit 1.
    webhook = asan("plugins", "check", "rest_webhook", check=False)
    assert webhook.returncode == 1
    assert "FAIL ma/*" in webhook.stdout
    assert "does not exist" in webhook.stdout
    unknown = asan("plugins", "check", "carrier_pigeon", check=False)
    assert unknown.returncode == 1
    assert "plugin carrier_pigeon: not installed" in unknown.stderr

    once = asan("worker", "--once")
    assert "handled 0 job(s); pending 0, dead 0" in once.stdout
    assert "tenant ma" in once.stderr  # its plugin problem, reported at start

    none = asan("deliveries", "list", "az")
    assert "0 dead job(s) in az" in none.stderr
    refused = asan("deliveries", "retry", "az", check=False)
    assert refused.returncode == 2
