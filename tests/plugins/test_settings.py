"""Plugin settings: declared, checked with every problem named, secrets only by reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from asan.plugins import (
    PluginHost,
    PluginUnavailableError,
    SecretUnavailableError,
    Setting,
    check_settings,
    describe_settings,
    discover,
    read_tenant_plugins,
    resolve_settings,
)

SCHEMA = (
    Setting("base_url", "url", "where the agency listens", required=True),
    Setting("timeout_seconds", "number", "how long to wait", default=10, minimum=0.5),
    Setting("mode", "choice", "how", default="a", choices=("a", "b")),
    Setting("token", "text", "the agency's token", secret=True, required=True),
)


def test_every_problem_is_named_by_its_path() -> None:
    _, problems = check_settings(
        SCHEMA,
        {"base_url": "ftp://x", "timeout_seconds": 0.1, "mode": "c", "token": "hunter2", "x": 1},
        where="plugins.connectors.tax",
    )
    assert sorted(map(str, problems)) == [
        "plugins.connectors.tax.base_url: 'ftp://x' is not an http(s) URL",
        "plugins.connectors.tax.mode: 'c' is not one of a, b",
        "plugins.connectors.tax.timeout_seconds: must be at least 0.5",
        "plugins.connectors.tax.token: is a secret: give a reference, env:NAME or "
        "secret:SECRET-NAME/KEY, never the value itself",
        "plugins.connectors.tax.x: unknown setting (this plugin has: base_url, mode, "
        "timeout_seconds, token)",
    ]


def test_defaults_fill_in_and_secrets_resolve_only_when_built(tmp_path: Path) -> None:
    values, problems = check_settings(
        SCHEMA, {"base_url": "https://a.example", "token": "secret:tax/token"}, where="p"
    )
    assert problems == []
    assert values == {
        "base_url": "https://a.example",
        "timeout_seconds": 10.0,
        "mode": "a",
        "token": "secret:tax/token",
    }
    assert describe_settings(SCHEMA, values)["token"] == "set"
    with pytest.raises(SecretUnavailableError, match="does not exist"):
        resolve_settings(SCHEMA, values, tenant="xx", secrets_dir=tmp_path, environ={})
    (tmp_path / "xx" / "tax").mkdir(parents=True)
    (tmp_path / "xx" / "tax" / "token").write_text("s3cr3t\n")
    resolved_file = resolve_settings(SCHEMA, values, tenant="xx", secrets_dir=tmp_path, environ={})
    assert resolved_file["token"] == "s3cr3t"
    from_env = {**values, "token": "env:ASAN_SECRET_XX_TAX_TOKEN"}
    resolved = resolve_settings(
        SCHEMA,
        from_env,
        tenant="xx",
        secrets_dir=tmp_path,
        environ={"ASAN_SECRET_XX_TAX_TOKEN": "e"},
    )
    assert resolved["token"] == "e"


def test_a_tenant_table_is_checked_against_installed_plugins_and_its_agencies() -> None:
    raw = {
        "connectors": {
            "*": {"plugin": "sandbox_agency"},
            "tax-servce": {"plugin": "sandbox_agency"},
            "land": {"plugin": "no_such_plugin"},
            "post": {"plugin": "log_notifier"},
        },
        "notifier": {"plugin": "log_notifier", "level": "loud"},
        "extras": {},
    }
    _, problems = read_tenant_plugins(raw, discover(), agencies={"tax-service", "land", "post"})
    reasons = sorted(map(str, problems))
    assert reasons[0].startswith("plugins.connectors.land.plugin: unknown plugin 'no_such_plugin'")
    assert (
        "plugins.connectors.post.plugin: 'log_notifier' is a notifier, not a connector" in reasons
    )
    assert "plugins.connectors.tax-servce: no agency 'tax-servce' in the catalogue" in reasons
    assert "plugins.extras: unknown section (connectors or notifier)" in reasons
    assert "plugins.notifier.level: 'loud' is not one of debug, info, warning" in reasons


async def test_a_broken_tenant_gets_a_clear_error_and_never_a_plugin(tmp_path: Path) -> None:
    host = PluginHost(discover(), secrets_dir=tmp_path, environ={})
    broken = {"connectors": {"*": {"plugin": "no_such_plugin"}}}
    with pytest.raises(PluginUnavailableError, match="unknown plugin 'no_such_plugin'"):
        await host.connector("xx", broken, "tax")
    missing = {
        "connectors": {
            "*": {
                "plugin": "rest_webhook",
                "base_url": "http://127.0.0.1:9/asan",
                "shared_secret": "env:ASAN_SECRET_YY_NOT_SET_ANYWHERE",
            }
        }
    }
    with pytest.raises(PluginUnavailableError, match="NOT_SET_ANYWHERE is not set"):
        await host.connector("yy", missing, "tax")
    working = {"connectors": {"*": {"plugin": "sandbox_agency"}}}
    first = await host.connector("zz", working, "tax")
    assert first is await host.connector("zz", working, "tax")  # built once, kept
    changed = {"connectors": {"*": {"plugin": "sandbox_agency", "reject_rate": 0.5}}}
    assert first is not await host.connector("zz", changed, "tax")  # settings changed: rebuilt
    await host.aclose()


def test_a_tenant_reaches_its_own_secrets_and_no_one_elses(tmp_path: Path) -> None:
    """A tenant's settings must not send another tenant's secret, or the instance's own,
    to a server of the tenant's choosing."""
    for other in ("secret:tax/token",):
        (tmp_path / "bb" / "tax").mkdir(parents=True)
        (tmp_path / "bb" / "tax" / "token").write_text("bb's own")
        values = {"base_url": "https://a.example", "token": other}
        with pytest.raises(SecretUnavailableError, match="does not exist"):
            resolve_settings(SCHEMA, values, tenant="aa", secrets_dir=tmp_path, environ={})
    environ = {"ASAN_DATABASE_URL": "postgresql://owner@db/asan", "ASAN_SECRET_BB_TOKEN": "bb"}
    for name in ("ASAN_DATABASE_URL", "ASAN_SECRET_BB_TOKEN"):
        values = {"base_url": "https://a.example", "token": f"env:{name}"}
        with pytest.raises(SecretUnavailableError, match="not one of tenant aa's variables"):
            resolve_settings(SCHEMA, values, tenant="aa", secrets_dir=tmp_path, environ=environ)
        _, problems = check_settings(SCHEMA, values, where="p", tenant="aa")
        assert [p.reason for p in problems] == [
            f"env:{name} is not one of tenant aa's variables (ASAN_SECRET_AA_...)"
        ]
